using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Softmax.Optimization;

/// <summary>
/// The full-matrix change of variables: W = W̃ M and b = b̃ − W μ with M = L⁻¹, L the Cholesky factor of Σ + εI.
/// Scores are unchanged (W x + b = W̃ M (x − μ) + b̃), the bias is not penalised, so F and its optimum are the
/// same; in φ the features are centred and decorrelated, which removes most of the ill-conditioning of raw pixels.
/// The gradient maps as ∂F/∂W̃ = (∂F/∂W − ∂F/∂b μᵀ) Mᵀ, ∂F/∂b̃ = ∂F/∂b. Not used with L1 (it mixes coordinates).
/// </summary>
internal sealed class Whitening : Reparameterization
{
    // One D × D array, row-major: its lower triangle (diagonal included) holds M = L⁻¹ by rows (row i of M is
    // _a[i·D … i·D + i]); its strict upper triangle holds Lᵀ (L[i,k] at k·D + i, k < i), and _lDiagonal L's diagonal.
    // The covariance the solver is handed is factored in place, so the preconditioner takes D² doubles beside the
    // moments instead of the 2·D² of the covariance, L and M held apart (Fashion-MNIST: 4.9 MB instead of 9.8).
    private readonly double[] _a;
    private readonly double[] _lDiagonal;
    private readonly double[] _work;

    /// <summary>k of Σ + diag(k·σ²) + εI: how far the covariance is shrunk toward its diagonal.</summary>
    internal const double Shrinkage = 10;

    /// <summary>
    /// The map for <paramref name="classes"/> classes and λ2 = <paramref name="l2"/>, factoring <paramref name="moments"/>'
    /// covariance in place where the moments allow it (<see cref="FeatureMoments.CovarianceForFactor"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Whitening(FeatureMoments moments, int classes, double l2) : base(moments, classes)
    {
        (Classes, L2) = (classes, l2);
        double meanVariance = moments.Variance.Average();
        var a = _a = moments.CovarianceForFactor() ?? throw new ArgumentException("Whitening needs the covariance.", nameof(moments));
        // ε makes directions the data barely use as curved as the others, through λ2 (see docs/derivation.md). The
        // diagonal is also shrunk: Σ + diag(k·σ²) + εI, k = Shrinkage, keeps the decorrelation of the leading directions
        // without blowing up those whose curvature is mostly λ2's, and is invariant to each feature's scale. Measured on
        // Fashion-MNIST (λ 1e-4, history 40), passes to F within 1e-6 of F*: k = 0 (full whitening) 308, 1 260, 3 247,
        // 10 224, 30 222, 100 264; shrinking toward (mean σ²)·I instead is as good there but fails on raw features
        // spanning 1e-3..1e3.
        double eps = Math.Max(30 * l2, 1e-6 * Math.Max(meanVariance, 1e-12));
        // Cholesky factor L over Σ's lower triangle, row by row (row i reads Σ's row i, which it overwrites from the
        // left, and the rows of L above it).
        for (int i = 0; i < D; i++)
        {
            var row = a.AsSpan(i * D, i + 1);
            for (int j = 0; j <= i; j++)
            {
                double s = row[j] + (i == j ? eps + Shrinkage * row[i] : 0);
                s -= TensorPrimitives.Dot(row[..j], a.AsSpan(j * D, j));
                if (i == j)
                {
                    if (!(s > 0)) throw new InvalidOperationException("The feature covariance is not positive definite.");
                    row[i] = Math.Sqrt(s);
                }
                else row[j] = s / a[j * D + j];
            }
        }
        // M = L⁻¹ overwrites L row by row (row i of M needs row i of L and the rows of M above it); row i of L moves to
        // column i of the upper triangle, for GradientToOuter.
        _lDiagonal = new double[D];
        var li = new double[D];
        for (int i = 0; i < D; i++)
        {
            // Row i of M: (e_i − Σ_{k<i} L[i,k] M[k,:]) / L[i,i].
            var row = a.AsSpan(i * D, i + 1);
            row.CopyTo(li);
            for (int k = 0; k < i; k++) a[k * D + i] = li[k];
            _lDiagonal[i] = li[i];
            row.Clear();
            row[i] = 1;
            for (int k = 0; k < i; k++)
                TensorPrimitives.MultiplyAdd(M(k), -li[k], row[..(k + 1)], row[..(k + 1)]);
            TensorPrimitives.Multiply(row, 1 / li[i], row);
        }
        _work = new double[D * classes];
    }

    /// <summary>The class count and λ2 the map was built for.</summary>
    public int Classes { get; }

    /// <inheritdoc cref="Classes"/>
    public double L2 { get; }

    /// <summary>Row k of M: entries 0 … k.</summary>
    private ReadOnlySpan<double> M(int k) => _a.AsSpan(k * D, k + 1);

    public override double L1Scale(int feature) => double.NaN;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ToOuter(ReadOnlySpan<double> phi, Span<double> theta)
    {
        var w = theta[..(C * D)];
        w.Clear();
        // k outermost: each row of M (the large operand) is read once for all classes.
        for (int k = 0; k < D; k++)
        {
            var mk = M(k);
            for (int c = 0; c < C; c++)
            {
                double a = phi[c * D + k];
                if (a == 0) continue;
                var wc = w.Slice(c * D, k + 1);
                TensorPrimitives.MultiplyAdd(mk, a, wc, wc);
            }
        }
        for (int c = 0; c < C; c++) theta[C * D + c] = phi[C * D + c] - TensorPrimitives.Dot(w.Slice(c * D, D), Mu);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ToInner(ReadOnlySpan<double> theta, Span<double> phi)
    {
        // W̃ = W L = W M⁻¹: solve w̃ M = w by back substitution over M's rows (w[k] = Σ_{j ≥ k} w̃[j] M[j,k]).
        for (int c = 0; c < C; c++)
        {
            var wc = theta.Slice(c * D, D);
            var pc = phi.Slice(c * D, D);
            wc.CopyTo(pc);
            for (int j = D - 1; j >= 0; j--)
            {
                var mj = M(j);
                double a = pc[j] /= mj[j];
                if (a != 0 && j > 0) TensorPrimitives.MultiplyAdd(mj[..j], -a, pc[..j], pc[..j]);
            }
            phi[C * D + c] = theta[C * D + c] + TensorPrimitives.Dot(wc, Mu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void GradientToInner(Span<double> g)
    {
        var shifted = _work.AsSpan();
        for (int c = 0; c < C; c++)
        {
            double gb = g[C * D + c];
            TensorPrimitives.MultiplyAdd(Mu, -gb, g.Slice(c * D, D), shifted.Slice(c * D, D));
        }
        // k outermost, as in ToOuter: one pass over M.
        for (int k = 0; k < D; k++)
        {
            var mk = M(k);
            for (int c = 0; c < C; c++) g[c * D + k] = TensorPrimitives.Dot(shifted.Slice(c * D, k + 1), mk);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void GradientToOuter(ReadOnlySpan<double> inner, Span<double> outer)
    {
        // ∂F/∂W_c = L ∂F/∂W̃_c + ∂F/∂b_c μ (the inverse of GradientToInner: M⁻¹ = L), column by column of L: row k of
        // Lᵀ (entries k + 1 … D − 1 of the upper triangle's row k) scaled by ∂F/∂W̃_ck.
        for (int c = 0; c < C; c++)
        {
            double gb = inner[C * D + c];
            var gi = inner.Slice(c * D, D);
            var o = outer.Slice(c * D, D);
            TensorPrimitives.Multiply(Mu, gb, o);
            for (int k = 0; k < D; k++)
            {
                o[k] += _lDiagonal[k] * gi[k];
                if (gi[k] != 0 && k + 1 < D) TensorPrimitives.MultiplyAdd(_a.AsSpan(k * D + k + 1, D - k - 1), gi[k], o[(k + 1)..], o[(k + 1)..]);
            }
            outer[C * D + c] = gb;
        }
    }
}

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
    private readonly double[][] _m;   // M = L⁻¹, lower-triangular rows: _m[i] has i + 1 entries
    private readonly double[][] _l;   // L itself, for mapping gradients back (GradientToOuter)
    private readonly double[] _work;

    /// <summary>k of Σ + diag(k·σ²) + εI: how far the covariance is shrunk toward its diagonal.</summary>
    internal const double Shrinkage = 10;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Whitening(FeatureMoments moments, int classes, double l2) : base(moments, classes)
    {
        var cov = moments.Covariance ?? throw new ArgumentException("Whitening needs the covariance.", nameof(moments));
        double meanVariance = moments.Variance.Average();
        // ε makes directions the data barely use as curved as the others, through λ2 (see docs/derivation.md). The
        // diagonal is also shrunk: Σ + diag(k·σ²) + εI, k = Shrinkage, keeps the decorrelation of the leading directions
        // without blowing up those whose curvature is mostly λ2's, and is invariant to each feature's scale. Measured on
        // Fashion-MNIST (λ 1e-4, history 40), passes to F within 1e-6 of F*: k = 0 (full whitening) 308, 1 260, 3 247,
        // 10 224, 30 222, 100 264; shrinking toward (mean σ²)·I instead is as good there but fails on raw features
        // spanning 1e-3..1e3.
        double eps = Math.Max(30 * l2, 1e-6 * Math.Max(meanVariance, 1e-12));
        // Cholesky factor L, row by row; then M = L⁻¹ overwrites it row by row (row i of M needs row i of L and the
        // rows of M above it), so only one triangle is ever held.
        var l = _m = new double[D][];
        for (int i = 0; i < D; i++)
        {
            var row = l[i] = new double[i + 1];
            for (int j = 0; j <= i; j++)
            {
                double s = cov[(long)i * D + j] + (i == j ? eps + Shrinkage * cov[(long)i * D + i] : 0);
                s -= TensorPrimitives.Dot(row.AsSpan(0, j), l[j].AsSpan(0, j));
                if (i == j)
                {
                    if (!(s > 0)) throw new InvalidOperationException("The feature covariance is not positive definite.");
                    row[i] = Math.Sqrt(s);
                }
                else row[j] = s / l[j][j];
            }
        }
        _l = Array.ConvertAll(l, row => (double[])row.Clone());
        var li = new double[D];
        for (int i = 0; i < D; i++)
        {
            // Row i of M: (e_i − Σ_{k<i} L[i,k] M[k,:]) / L[i,i].
            var row = _m[i];
            row.CopyTo(li, 0);
            row.AsSpan().Clear();
            row[i] = 1;
            for (int k = 0; k < i; k++)
                TensorPrimitives.MultiplyAdd(_m[k], -li[k], row.AsSpan(0, k + 1), row.AsSpan(0, k + 1));
            TensorPrimitives.Multiply(row, 1 / li[i], row);
        }
        _work = new double[D * classes];
    }

    public override double L1Scale(int feature) => double.NaN;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ToOuter(ReadOnlySpan<double> phi, Span<double> theta)
    {
        var w = theta[..(C * D)];
        w.Clear();
        // k outermost: each row of M (the large operand) is read once for all classes.
        for (int k = 0; k < D; k++)
        {
            var mk = _m[k];
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
                var mj = _m[j];
                double a = pc[j] /= mj[j];
                if (a != 0 && j > 0) TensorPrimitives.MultiplyAdd(mj.AsSpan(0, j), -a, pc[..j], pc[..j]);
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
            var mk = _m[k];
            for (int c = 0; c < C; c++) g[c * D + k] = TensorPrimitives.Dot(shifted.Slice(c * D, k + 1), mk);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void GradientToOuter(ReadOnlySpan<double> inner, Span<double> outer)
    {
        // ∂F/∂W_c = L ∂F/∂W̃_c + ∂F/∂b_c μ (the inverse of GradientToInner: M⁻¹ = L).
        for (int c = 0; c < C; c++)
        {
            double gb = inner[C * D + c];
            var gi = inner.Slice(c * D, D);
            for (int i = 0; i < D; i++) outer[c * D + i] = TensorPrimitives.Dot(_l[i], gi[..(i + 1)]) + gb * Mu[i];
            outer[C * D + c] = gb;
        }
    }
}

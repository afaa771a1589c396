using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>
/// The full-matrix change of variables: W = W̃ M and b = b̃ − W μ with M = L⁻¹, L the Cholesky factor of Σ + εI.
/// Scores are unchanged (W x + b = W̃ M (x − μ) + b̃), the bias is not penalised, so F and its optimum are the
/// same; in φ the features are centred and decorrelated, which removes most of the ill-conditioning of raw pixels.
/// The gradient maps as ∂F/∂W̃ = (∂F/∂W − ∂F/∂b μᵀ) Mᵀ, ∂F/∂b̃ = ∂F/∂b. Not used with L1 (it mixes coordinates).
/// </summary>
internal sealed unsafe class Whitening : Reparameterization
{
    // One D × D array, row-major: its lower triangle (diagonal included) holds M = L⁻¹ by rows (row i of M is
    // _a[i·D … i·D + i]); its strict upper triangle holds Lᵀ (L[i,k] at k·D + i, k < i), and _lDiagonal L's diagonal.
    // The covariance the solver is handed is factored in place, so the preconditioner takes D² doubles beside the
    // moments instead of the 2·D² of the covariance, L and M held apart (Fashion-MNIST: 4.9 MB instead of 9.8).
    private readonly double[] _a;
    private readonly double[] _lDiagonal;
    private readonly double[] _work;
    // ToOuter and GradientToInner read all of M (D²/2 doubles, more than L2 on Fashion-MNIST) once per evaluation:
    // 0.4 ms each on one core there, against a 5 ms pass. They run in bands on the engine's worker team, each output
    // entry summed by one thread in the serial order (the same bits at any thread count): ToOuter by bands of classes
    // (bands of W's columns, whose rows of M are short near the diagonal, were 0.90× where classes were 0.59×),
    // GradientToInner by bands of M's rows, each a 1/parts share of the triangle (0.36 → 0.13 ms on two cores).
    private readonly int _parts;
    private readonly int[] _rowBands;
    private readonly Action<int> _toOuterBand, _gradientBand;
    private readonly ParallelOptions _fallback;
    private double* _phi, _theta, _gradient;   // the section's operands, pinned by the caller for its duration

    /// <summary>k of Σ + diag(k·σ²) + εI: how far the covariance is shrunk toward its diagonal.</summary>
    internal const double Shrinkage = 10;

    /// <summary>
    /// The map for <paramref name="classes"/> classes and λ2 = <paramref name="l2"/>, factoring <paramref name="moments"/>'
    /// covariance in place where the moments allow it (<see cref="FeatureMoments.CovarianceForFactor"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Whitening(FeatureMoments moments, int classes, double l2, int threads = 0) : base(moments, classes)
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
        // Bands only where the maps are worth waking threads for (≥ 1M multiply-adds: 0.1–0.2 ms).
        _parts = (long)D * D * classes >= 1 << 20 ? Math.Clamp(threads > 0 ? threads : Environment.ProcessorCount, 1, 16) : 1;
        _rowBands = new int[_parts + 1];
        // Row k of the triangle holds k + 1 entries: the first t/parts of them end at row D·√(t/parts).
        for (int t = 0; t <= _parts; t++) _rowBands[t] = (int)Math.Round(D * Math.Sqrt((double)t / _parts));
        _toOuterBand = ToOuterBand;
        _gradientBand = GradientBand;
        _fallback = new ParallelOptions { MaxDegreeOfParallelism = _parts };
    }

    /// <summary>The class count and λ2 the map was built for.</summary>
    public int Classes { get; }

    /// <inheritdoc cref="Classes"/>
    public double L2 { get; }

    /// <summary>Row k of M: entries 0 … k.</summary>
    private ReadOnlySpan<double> M(int k) => _a.AsSpan(k * D, k + 1);

    public override double L1Scale(int feature) => double.NaN;

    public override void ToOuter(ReadOnlySpan<double> phi, Span<double> theta)
    {
        var w = theta[..(C * D)];
        w.Clear();
        fixed (double* p = phi)
        fixed (double* t = theta)
        {
            _phi = p;
            _theta = t;
            WorkerTeam.Run(_parts, _toOuterBand, _fallback);
            _phi = _theta = null;
        }
        for (int c = 0; c < C; c++) theta[C * D + c] = phi[C * D + c] - TensorPrimitives.Dot(w.Slice(c * D, D), Mu);
    }

    /// <summary>Classes c0 … c1 − 1 of W = W̃ M: row k of M adds into each class's first k + 1 entries, k ascending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ToOuterBand(int part)
    {
        int c0 = C * part / _parts, c1 = C * (part + 1) / _parts;
        var phi = new ReadOnlySpan<double>(_phi, C * D);
        var w = new Span<double>(_theta, C * D);
        // k outermost: each row of M (the large operand) is read once for the band's classes.
        for (int k = 0; k < D; k++)
        {
            var mk = M(k);
            for (int c = c0; c < c1; c++)
            {
                double a = phi[c * D + k];
                if (a == 0) continue;
                var wc = w.Slice(c * D, k + 1);
                TensorPrimitives.MultiplyAdd(mk, a, wc, wc);
            }
        }
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

    public override void GradientToInner(Span<double> g)
    {
        var shifted = _work.AsSpan();
        for (int c = 0; c < C; c++)
        {
            double gb = g[C * D + c];
            TensorPrimitives.MultiplyAdd(Mu, -gb, g.Slice(c * D, D), shifted.Slice(c * D, D));
        }
        fixed (double* gp = g)
        {
            _gradient = gp;
            WorkerTeam.Run(_parts, _gradientBand, _fallback);
            _gradient = null;
        }
    }

    /// <summary>Rows k0 … k1 − 1 of M against the shifted gradient: ∂F/∂W̃_ck for k in the band.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void GradientBand(int part)
    {
        var shifted = _work.AsSpan();
        var g = new Span<double>(_gradient, C * D);
        // k outermost, as in ToOuter: one pass over the band's rows of M.
        for (int k = _rowBands[part]; k < _rowBands[part + 1]; k++)
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

using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>
/// Per-feature mean and variance of the training rows (float64) and, for moderate D, their covariance: the
/// statistics L-BFGS uses to precondition (see <see cref="LbfgsOptions.Precondition"/>).
/// </summary>
public sealed class FeatureMoments
{
    /// <summary>Covariance is estimated only up to this many features (D² memory, D³/3 Cholesky).</summary>
    public const int MaxCovarianceFeatures = 1024;

    /// <summary>Wraps precomputed moments (for example summed across workers).</summary>
    public FeatureMoments(double[] mean, double[] variance, double[]? covariance = null)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        if (mean.Length != variance.Length) throw new ArgumentException("Mean and variance differ in length.");
        if (covariance is not null && covariance.LongLength != (long)mean.Length * mean.Length) throw new ArgumentException("The covariance must be D×D.");
        (Mean, Variance, Covariance) = (mean, variance, covariance);
    }

    /// <summary>μ_d.</summary>
    public double[] Mean { get; }

    /// <summary>σ²_d.</summary>
    public double[] Variance { get; }

    /// <summary>Σ (D×D row-major), or null (also once a solver that owns these moments has factored it).</summary>
    public double[]? Covariance { get; private set; }

    /// <summary>
    /// Set by the trainer on moments it computed for one solver and holds nowhere else: the preconditioner may then
    /// factor <see cref="Covariance"/> in place instead of copying it (D² doubles: 4.9 MB on Fashion-MNIST).
    /// </summary>
    internal bool OwnedBySolver { get; set; }

    /// <summary>
    /// Σ for the preconditioner to overwrite: the array itself, taken from these moments, when they are
    /// <see cref="OwnedBySolver"/>; else a copy. Null without a covariance.
    /// </summary>
    internal double[]? CovarianceForFactor()
    {
        var cov = Covariance;
        if (cov is null || !OwnedBySolver) return (double[]?)cov?.Clone();
        Covariance = null;
        return cov;
    }

    /// <summary>
    /// One pass over the rows for mean and variance; the covariance (when D ≤ <see cref="MaxCovarianceFeatures"/> and the
    /// rows are dense) from up to <paramref name="covarianceRows"/> evenly spaced rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe FeatureMoments Compute(FeatureMatrix x, bool withCovariance = true, int covarianceRows = 16384)
    {
        ArgumentNullException.ThrowIfNull(x);
        int D = x.Columns;
        var sum = new double[D];
        var sq = new double[D];
        if (x is CsrMatrix csr)
        {
            var columns = csr.ColumnIndices;
            var values = csr.Values;
            for (int k = 0; k < values.Length; k++)
            {
                double v = values[k];
                sum[columns[k]] += v;
                sq[columns[k]] += v * v;
            }
        }
        else
        {
            // Σx and Σx² in float64, element by element in row order (vectorised, but the same sums as a scalar loop:
            // streamed and sharded moments reproduce them exactly).
            var row = new float[D];
            var wide = new double[D];
            fixed (float* r = row)
            fixed (double* w = wide)
                for (int i = 0; i < x.Rows; i++)
                {
                    x.CopyRow(i, row);
                    Float64Kernels.Widen(r, w, D);
                    AddMoments(wide, sum, sq);
                }
        }
        double n = Math.Max(1, x.Rows);
        var mean = new double[D];
        var variance = new double[D];
        for (int d = 0; d < D; d++)
        {
            mean[d] = sum[d] / n;
            variance[d] = Math.Max(0, sq[d] / n - mean[d] * mean[d]);
        }
        double[]? cov = null;
        if (withCovariance && x is not CsrMatrix && D <= MaxCovarianceFeatures && Avx512Kernels.IsSupported && x.Rows > 1)
            cov = SampleCovariance(x, covarianceRows);
        return new FeatureMoments(mean, variance, cov);
    }

    /// <summary>sum += v and sq += v·v, element by element (two roundings each, as a scalar loop would).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddMoments(ReadOnlySpan<double> v, Span<double> sum, Span<double> sq)
    {
        int d = 0;
        for (; d + Vector<double>.Count <= v.Length; d += Vector<double>.Count)
        {
            var a = new Vector<double>(v[d..]);
            (new Vector<double>(sum[d..]) + a).CopyTo(sum[d..]);
            (new Vector<double>(sq[d..]) + a * a).CopyTo(sq[d..]);
        }
        for (; d < v.Length; d++)
        {
            sum[d] += v[d];
            sq[d] += v[d] * v[d];
        }
    }

    /// <summary>
    /// Σ = (1/m) Σ_i (x_i − μ̂)(x_i − μ̂)ᵀ over m evenly spaced rows, with XᵀX from the engine's block kernel. Each
    /// thread owns a band of XᵀX's rows and reads every sampled row, so there are no per-thread D×D partials (their
    /// memory would double the peak) and each entry is summed in one fixed order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double[] SampleCovariance(FeatureMatrix x, int maxRows)
    {
        int D = x.Columns, S = DenseMatrix.PaddedLength(D);
        int m = Math.Min(x.Rows, Math.Max(2, maxRows));
        const int Block = 64;
        int blocks = (m + Block - 1) / Block;
        int threads = Math.Clamp(Math.Min(Environment.ProcessorCount, D / 16), 1, 64);
        var xtx = new double[(long)S * S];
        var sum = new double[D];
        Parallel.For(0, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t) =>
        {
            int lo = (int)((long)D * t / threads), hi = (int)((long)D * (t + 1) / threads);
            var rows = new PinnedBuffer<float>(Block * S);
            var pointers = new PinnedBuffer<nint>(Block);
            for (int r = 0; r < Block; r++) pointers.Span[r] = (nint)(rows.Pointer + r * S);
            for (int blk = 0; blk < blocks; blk++)
            {
                int start = blk * Block, count = Math.Min(Block, m - start);
                rows.Span.Clear();
                for (int r = 0; r < count; r++)
                {
                    int row = (int)((long)(start + r) * x.Rows / m);
                    var dst = rows.Span.Slice(r * S, D);
                    x.CopyRow(row, dst);
                    if (t == 0)
                        for (int d = 0; d < D; d++) sum[d] += dst[d];
                }
                // Rows lo … hi − 1 of XᵀX: "classes" c = lo … hi − 1 with e(r, c) = x_r[c].
                fixed (double* gp = xtx) Avx512Kernels.Backward((float**)pointers.Pointer, count, S, rows.Pointer + lo, S, 1, hi - lo, gp + (long)lo * S);
            }
            GC.KeepAlive(rows);
            GC.KeepAlive(pointers);
        });
        var mu = new double[D];
        for (int d = 0; d < D; d++) mu[d] = sum[d] / m;
        // D×D from the S×S sums; in place when S = D (reads never fall behind writes: i·D + j ≤ i·S + j).
        var cov = S == D ? xtx : new double[(long)D * D];
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++) cov[(long)i * D + j] = xtx[(long)i * S + j] / m - mu[i] * mu[j];
        return cov;
    }
}

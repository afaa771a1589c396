using System.Numerics.Tensors;
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
        Mean = mean;
        Variance = variance;
        Covariance = covariance;
    }

    /// <summary>μ_d.</summary>
    public double[] Mean { get; }

    /// <summary>σ²_d.</summary>
    public double[] Variance { get; }

    /// <summary>Σ (D×D row-major), or null.</summary>
    public double[]? Covariance { get; }

    /// <summary>
    /// One pass over the rows for mean and variance; the covariance (when D ≤ <see cref="MaxCovarianceFeatures"/> and the
    /// rows are dense) from up to <paramref name="covarianceRows"/> evenly spaced rows.
    /// </summary>
    public static unsafe FeatureMoments Compute(FeatureMatrix x, bool withCovariance = true, int covarianceRows = 16384)
    {
        ArgumentNullException.ThrowIfNull(x);
        int D = x.Columns;
        var sum = new double[D];
        var sq = new double[D];
        if (x is CsrMatrix csr)
        {
            for (long k = 0; k < csr.NonZeros; k++)
            {
                double v = csr.Values[k];
                sum[csr.ColumnIndices[k]] += v;
                sq[csr.ColumnIndices[k]] += v * v;
            }
        }
        else
        {
            // Σx and Σx² in float64, element by element in row order (vectorised, but the same sums as a scalar loop:
            // streamed and sharded moments reproduce them exactly).
            var row = new float[D];
            var wide = new double[D];
            for (int i = 0; i < x.Rows; i++)
            {
                x.CopyRow(i, row);
                TensorPrimitives.ConvertChecked<float, double>(row, wide);
                TensorPrimitives.Add(sum, wide, sum);
                TensorPrimitives.Multiply(wide, wide, wide);
                TensorPrimitives.Add(sq, wide, sq);
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
        if (withCovariance && x is not CsrMatrix && D <= MaxCovarianceFeatures && DenseKernels.IsSupported && x.Rows > 1)
            cov = SampleCovariance(x, covarianceRows);
        return new FeatureMoments(mean, variance, cov);
    }

    /// <summary>Σ = (1/m) Σ_i (x_i − μ̂)(x_i − μ̂)ᵀ over m evenly spaced rows, with XᵀX from the engine's block kernel.</summary>
    private static unsafe double[] SampleCovariance(FeatureMatrix x, int maxRows)
    {
        int D = x.Columns, S = DenseMatrix.PaddedLength(D);
        int m = Math.Min(x.Rows, Math.Max(2, maxRows));
        const int Block = 64;
        int blocks = (m + Block - 1) / Block;
        int threads = Math.Min(Environment.ProcessorCount, blocks);
        var partial = new double[threads][];
        var partialSum = new double[threads][];
        Parallel.For(0, threads, t =>
        {
            var g = new double[(long)S * S];
            var s = new double[D];
            var rows = new PinnedBuffer<float>(Block * S);
            var pointers = new PinnedBuffer<nint>(Block);
            for (int r = 0; r < Block; r++) pointers.Span[r] = (nint)(rows.Pointer + r * S);
            for (int blk = t; blk < blocks; blk += threads)
            {
                int start = blk * Block, count = Math.Min(Block, m - start);
                rows.Span.Clear();
                for (int r = 0; r < count; r++)
                {
                    int row = (int)((long)(start + r) * x.Rows / m);
                    var dst = rows.Span.Slice(r * S, D);
                    x.CopyRow(row, dst);
                    for (int d = 0; d < D; d++) s[d] += dst[d];
                }
                fixed (double* gp = g) DenseKernels.Backward((float**)pointers.Pointer, count, S, rows.Pointer, S, 1, S, gp);
            }
            GC.KeepAlive(rows);
            GC.KeepAlive(pointers);
            partial[t] = g;
            partialSum[t] = s;
        });
        var cov = new double[(long)D * D];
        var mu = new double[D];
        for (int t = 0; t < threads; t++)
            for (int d = 0; d < D; d++) mu[d] += partialSum[t][d] / m;
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++)
            {
                double xtx = 0;
                for (int t = 0; t < threads; t++) xtx += partial[t][(long)i * S + j];
                cov[(long)i * D + j] = xtx / m - mu[i] * mu[j];
            }
        return cov;
    }
}

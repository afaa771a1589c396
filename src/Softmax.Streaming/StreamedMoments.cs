using Softmax.Data;
using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Streaming;

/// <summary>
/// The preconditioner's feature statistics (<see cref="FeatureMoments"/>) from one streamed pass.
/// <para>Single process: mean and variance are summed row by row in file order, and the covariance sample is the same
/// evenly spaced rows <c>i·N/m</c> (m = min(N, 16384)) handed to <see cref="FeatureMoments.Compute"/>, so the
/// result is bit-identical to <c>FeatureMoments.Compute</c> over the whole matrix in memory.</para>
/// <para>Across workers (an <see cref="IAllReduce"/> given): each worker sums its shard and computes the cross
/// product of its part of the global sample; the raw sums Σx, Σx², n, Σxxᵀ, Σx(sample), m are allreduced and the
/// moments formed from the totals, so every worker gets identical moments (equal to the single-process ones up to
/// float64 rounding of the sums' association).</para>
/// </summary>
public static class StreamedMoments
{
    /// <summary>
    /// Moments over the rows of <paramref name="blocks"/>: the whole data, or (with <paramref name="allReduce"/>) this
    /// worker's shard, whose first row is row <paramref name="globalOffset"/> of <paramref name="totalRows"/> rows overall.
    /// </summary>
    public static FeatureMoments Compute(BlockStream blocks, bool withCovariance = true, int covarianceRows = 16384,
        IAllReduce? allReduce = null, int globalOffset = 0, int? totalRows = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (allReduce is null && (globalOffset != 0 || (totalRows is { } t && t != blocks.Rows)))
            throw new ArgumentException("A shard's moments need the allreduce that combines the workers.", nameof(allReduce));
        int D = blocks.File.Features, N = totalRows ?? blocks.Rows;
        int m = Math.Min(N, Math.Max(2, covarianceRows));
        bool covariance = withCovariance && D <= FeatureMoments.MaxCovarianceFeatures && N > 1;
        // Global sample rows i·N/m that fall in this range [lo, hi).
        int lo = globalOffset, hi = globalOffset + blocks.Rows;
        int firstSample = covariance ? FirstSampleAtOrAfter(lo, N, m) : 0, endSample = covariance ? FirstSampleAtOrAfter(hi, N, m) : 0;
        int local = endSample - firstSample;
        FeatureMatrix? sample = null;

        var sums = new double[2 * D + 1];   // [Σx (D), Σx² (D), n]
        var row = new float[D];
        int next = firstSample;
        foreach (var block in blocks.Read())
        {
            var x = block.Data.Features;
            // The sample keeps the block's storage type (uint8 scaled on the fly, or float32), as the in-memory matrix would.
            if (covariance) sample ??= x is ByteMatrix bm ? new ByteMatrix(new byte[(long)local * D], local, D, bm.Scale) : new DenseMatrix(local, D);
            for (int r = 0; r < block.Count; r++)
            {
                x.CopyRow(r, row);
                for (int d = 0; d < D; d++) { sums[d] += row[d]; sums[D + d] += (double)row[d] * row[d]; }
                int globalRow = globalOffset + block.Start - blocks.RowStart + r;
                while (covariance && next < endSample && SampleRow(next, N, m) == globalRow)
                {
                    int s = next - firstSample;
                    if (sample is ByteMatrix bytes) ((ByteMatrix)x).Row(r).CopyTo(bytes.Data.AsSpan(s * D, D));
                    else row.CopyTo(((DenseMatrix)sample!).Row(s));
                    next++;
                }
            }
        }
        sums[2 * D] = blocks.Rows;
        return Moments(sums, D, sample, covariance, m, allReduce);
    }

    private static int SampleRow(int i, int n, int m) => (int)((long)i * n / m);

    /// <summary>Smallest i with i·N/m ≥ row (rows are increasing in i).</summary>
    private static int FirstSampleAtOrAfter(int row, int n, int m)
    {
        int i = (int)Math.Min(m, (long)row * m / n);
        while (i > 0 && SampleRow(i - 1, n, m) >= row) i--;
        while (i < m && SampleRow(i, n, m) < row) i++;
        return i;
    }

    private static FeatureMoments Moments(double[] first, int D, FeatureMatrix? sample, bool covariance, int sampleRows, IAllReduce? allReduce)
    {
        allReduce?.SumInPlace(first);
        double n = Math.Max(1, first[2 * D]);
        var mean = new double[D];
        var variance = new double[D];
        for (int d = 0; d < D; d++)
        {
            mean[d] = first[d] / n;
            variance[d] = Math.Max(0, first[D + d] / n - mean[d] * mean[d]);
        }
        if (allReduce is null)
            return new FeatureMoments(mean, variance, sample is null ? null : FeatureMoments.Compute(sample, withCovariance: true, covarianceRows: sampleRows).Covariance);
        if (!covariance) return new FeatureMoments(mean, variance);
        // [Σ x xᵀ (D²), Σ x (D), m, workers that could not form a covariance]
        var second = new double[(long)D * D + D + 2];
        int m = sample?.Rows ?? 0;
        if (m >= 2)
        {
            var local = FeatureMoments.Compute(sample!, withCovariance: true, covarianceRows: m);
            if (local.Covariance is { } c)
                for (int i = 0; i < D; i++)
                {
                    second[(long)D * D + i] = m * local.Mean[i];
                    for (int j = 0; j < D; j++) second[(long)i * D + j] = m * (c[(long)i * D + j] + local.Mean[i] * local.Mean[j]);
                }
            else second[^1] = 1;
        }
        else if (m == 1)
        {
            var x = new float[D];
            sample!.CopyRow(0, x);
            for (int i = 0; i < D; i++)
            {
                second[(long)D * D + i] = x[i];
                for (int j = 0; j < D; j++) second[(long)i * D + j] = (double)x[i] * x[j];
            }
        }
        second[^2] = m;
        allReduce.SumInPlace(second);
        if (second[^1] > 0 || second[^2] < 2) return new FeatureMoments(mean, variance);
        double total = second[^2];
        var mu = new double[D];
        for (int i = 0; i < D; i++) mu[i] = second[(long)D * D + i] / total;
        var cov = new double[(long)D * D];
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++) cov[(long)i * D + j] = second[(long)i * D + j] / total - mu[i] * mu[j];
        return new FeatureMoments(mean, variance, cov);
    }
}

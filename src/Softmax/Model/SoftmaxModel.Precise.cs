using System.Numerics.Tensors;
using Softmax.Data;

namespace Softmax.Model;

/// <summary>
/// Scoring that never turns a finite row into NaN. The fast path scores in float32; a row whose float32 scores are
/// not all finite (a product or a sum overflowed, and ∞ − ∞ would follow in the softmax) is scored again in float64
/// from the same float32 weights, which cannot overflow for finite inputs.
/// </summary>
public sealed partial class SoftmaxModel
{
    /// <summary>Float32 scores into <paramref name="scores"/>, or null; when one overflowed, the row's float64 scores (<see cref="PreciseScores"/>).</summary>
    private double[]? Scores(ReadOnlySpan<float> row, Span<float> scores)
    {
        CheckRow(row.Length);
        if (scores.Length < Classes) throw new ArgumentException($"Need room for {Classes} scores.", nameof(scores));
        var x = t_row is { } buf && buf.Length >= Stride ? buf : t_row = new float[Stride];
        Preprocessor.ApplyRow(row, x);
        var xs = x.AsSpan(0, Stride);
        var w = _w.Span;
        for (int c = 0; c < Classes; c++) scores[c] = TensorPrimitives.Dot(xs, w.Slice(c * Stride, Stride)) + _b[c];
        if (TensorPrimitives.IsFiniteAll<float>(scores[..Classes])) return null;
        var precise = new double[Classes];
        PreciseScores(row, precise);
        return precise;
    }

    /// <summary>
    /// Scores of one raw row with preprocessing, products and sums in float64, from the same float32 weights as the
    /// fast path. Finite for every finite row: |x|, |mean|, |1/std|, |w| ≤ float.MaxValue bound each term by 2^385.
    /// </summary>
    private void PreciseScores(ReadOnlySpan<float> row, Span<double> scores)
    {
        CheckRow(row.Length);
        var pre = Preprocessor;
        var x = new double[Features];
        for (int d = 0; d < Features; d++)
        {
            double v = row[d] * (double)pre.Scale;
            if (pre.Mean is { } mean) v -= mean[d];
            if (pre.InverseStd is { } inverseStd) v *= inverseStd[d];
            x[d] = v;
        }
        var w = _w.Span;
        for (int c = 0; c < Classes; c++)
        {
            double sum = _b[c];
            var wc = w.Slice(c * Stride, Features);
            for (int d = 0; d < Features; d++) sum += wc[d] * x[d];
            scores[c] = sum;
        }
    }

    /// <summary>
    /// Rescores in float64 the rows of a block whose float32 scores are not all finite (an intermediate overflowed).
    /// <paramref name="shifted"/>: write o − max o (same softmax and arg-max, always finite), else o rounded to float32.
    /// </summary>
    private void RepairScores(Dataset data, int start, int n, Span<float> block, bool shifted)
    {
        int C = Classes;
        float[]? raw = null;
        double[]? precise = null;
        for (int r = 0; r < n; r++)
        {
            var scores = block.Slice(r * C, C);
            if (TensorPrimitives.IsFiniteAll<float>(scores)) continue;
            raw ??= new float[Features];
            precise ??= new double[C];
            data.Features.CopyRow(start + r, raw);
            PreciseScores(raw, precise);
            double max = shifted ? TensorPrimitives.Max<double>(precise) : 0;
            for (int c = 0; c < C; c++) scores[c] = (float)(precise[c] - max);
        }
    }
}

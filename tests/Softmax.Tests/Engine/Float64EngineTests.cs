using Softmax.Data;
using Softmax.Engine;
using Xunit.Abstractions;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Engine;

/// <summary>
/// The CPU engine's float64 arithmetic against the float64 reference loops: F to 1e-13 relative and the gradient to
/// 1e-12 (norm-based), on every layout, thread count, block boundary and class count — against the float32
/// arithmetic's 1e-5. θ is not rounded to float32 here: float64 arithmetic must use it exactly.
/// </summary>
public class Float64EngineTests(ITestOutputHelper output)
{
    private const double FTolerance = 1e-13, GTolerance = 1e-12;

    private static double[] FullTheta(int classes, int features, int seed, double scale = 0.5)
    {
        var rng = new Random(seed);
        var t = new double[classes * features + classes];
        for (int i = 0; i < t.Length; i++) t[i] = scale * Gaussian(rng);
        return t;
    }

    private static CpuSoftmaxLoss Exact(Dataset data, int threads, IReadOnlyList<double>? classWeights = null)
    {
        var loss = new CpuSoftmaxLoss(data, new CpuEngineOptions(threads, ClassWeights: classWeights));
        Assert.True(loss.TrySetArithmetic(Precision.Float64));
        Assert.Equal(Precision.Float64, loss.Arithmetic);
        return loss;
    }

    [Theory]
    [InlineData(2), InlineData(3), InlineData(10), InlineData(100)]
    public void Every_feature_count_1_to_70_agrees_to_float64_rounding(int classes)
    {
        double worstF = 0, worstG = 0;
        for (int d = 1; d <= 70; d++)
        {
            var data = Dense(9 + d % 13, d, classes, seed: 31 * d + classes);
            var theta = FullTheta(classes, d, seed: d);
            var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
            var (f, g) = Evaluate(Exact(data, 1), theta);
            double fe = Relative(f, fRef), ge = RelativeInf(g, gRef);
            Assert.True(fe <= FTolerance && ge <= GTolerance, $"C={classes} D={d}: F {fe:E2}, gradient {ge:E2}");
            worstF = Math.Max(worstF, fe);
            worstG = Math.Max(worstG, ge);
        }
        output.WriteLine($"C={classes}: worst F {worstF:E2}, worst gradient {worstG:E2}");
    }

    [Theory]
    [InlineData(1f / 255), InlineData(1f / 16), InlineData(1f / 3), InlineData(1f / 7), InlineData(1f / 1000), InlineData(1f / 65536), InlineData(0.37f), InlineData(1f)]
    public unsafe void Widened_byte_levels_are_exactly_the_matrix_levels(float scale)
    {
        // Every byte value, then a tail past the last whole vector of sixteen.
        var bytes = Enumerable.Range(0, 263).Select(i => (byte)(i * 7 % 256)).ToArray();
        var matrix = new ByteMatrix(bytes, 1, bytes.Length, scale);
        var levels = matrix.Levels.ToArray();
        bool reciprocal = Float64Kernels.ReciprocalIsExact(matrix.Divisor);
        output.WriteLine($"scale {scale}: divisor {matrix.Divisor}, reciprocal exact: {reciprocal}");
        Assert.Equal(matrix.Divisor > 0, reciprocal);
        foreach (bool useReciprocal in new[] { false, reciprocal })
        {
            var wide = new double[bytes.Length];
            fixed (byte* src = bytes)
            fixed (double* dst = wide)
                Float64Kernels.WidenLevels(src, dst, bytes.Length, matrix.Divisor, matrix.Scale, useReciprocal);
            for (int d = 0; d < bytes.Length; d++)
                Assert.True(BitConverter.DoubleToInt64Bits(levels[bytes[d]]) == BitConverter.DoubleToInt64Bits(wide[d]),
                    $"byte {bytes[d]}: {wide[d]:R} != level {levels[bytes[d]]:R} (reciprocal {useReciprocal})");
        }
    }

    [Theory]
    [InlineData(1, 64, 3), InlineData(300, 64, 10), InlineData(257, 5, 2), InlineData(130, 300, 100), InlineData(131, 96, 23), InlineData(65, 1600, 11)]
    public void Bytes_dense_and_csr_layouts_agree_with_the_reference(int rows, int features, int classes)
    {
        var (bytes, dense, csr) = ThreeLayouts(rows, features, classes, seed: rows + features);
        var theta = FullTheta(classes, features, seed: 5, scale: 0.3);
        foreach (var data in new[] { bytes, dense, csr })
        {
            var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
            foreach (int threads in new[] { 1, 2 })
            {
                var (f, g) = Evaluate(Exact(data, threads), theta);
                double fe = Relative(f, fRef), ge = RelativeInf(g, gRef);
                Assert.True(fe <= FTolerance && ge <= GTolerance, $"{data.Features.GetType().Name} threads={threads}: F {fe:E2}, gradient {ge:E2}");
            }
        }
    }

    [Fact]
    public void Uint8_rows_are_read_as_the_float32_nearest_byte_over_k()
    {
        var (bytes, _, _) = ThreeLayouts(40, 20, 3, seed: 2);
        var matrix = (ByteMatrix)bytes.Features;
        var row = new double[20];
        matrix.CopyRow(7, row);
        var raw = matrix.Row(7);
        for (int d = 0; d < 20; d++) Assert.Equal((double)((float)raw[d] / 255f), row[d]);   // numpy: x.astype(float32) / 255
        var digits = new ByteMatrix([16, 3], 1, 2, 1f / 16);
        digits.CopyRow(0, row.AsSpan(0, 2));
        Assert.Equal([1.0, 3.0 / 16], row[..2]);
        var odd = new ByteMatrix([7], 1, 1, 0.3f);   // not 1/k: the float32 product
        odd.CopyRow(0, row.AsSpan(0, 1));
        Assert.Equal((double)(7 * 0.3f), row[0]);
    }

    [Theory]
    [InlineData(1), InlineData(2), InlineData(63), InlineData(64), InlineData(65), InlineData(129), InlineData(257), InlineData(1001)]
    public void Row_counts_around_block_and_thread_boundaries_agree(int rows)
    {
        foreach (int d in new[] { 37, 700 })
        {
            var data = Dense(rows, d, 10, seed: rows + d);
            var theta = FullTheta(10, d, seed: rows, scale: 0.1);
            var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
            foreach (int threads in new[] { 1, 2 })
            {
                var (f, g) = Evaluate(Exact(data, threads), theta);
                Assert.True(Relative(f, fRef) <= FTolerance && RelativeInf(g, gRef) <= GTolerance, $"N={rows} D={d} threads={threads}");
            }
        }
    }

    [Fact]
    public void Weights_index_lists_and_extreme_scores_agree()
    {
        var rng = new Random(3);
        var weights = Enumerable.Range(0, 300).Select(_ => (float)(rng.NextDouble() * 3)).ToArray();
        var data = Dense(300, 17, 5, seed: 4, scale: 30, weights: weights);
        double[] classWeights = [0.5, 2, 1, 1, 3];
        var theta = FullTheta(5, 17, seed: 6, scale: 20);   // scores in the thousands: exp overflows without the shift
        var list = Enumerable.Range(0, 300).Where(i => i % 3 != 1).Reverse().ToArray();
        var rows = RowSet.Of(list, 0, list.Length);
        var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data, classWeights), theta, rows);
        var (f, g) = Evaluate(Exact(data, 2, classWeights), theta, rows);
        Assert.True(double.IsFinite(f));
        Assert.True(Relative(f, fRef) <= FTolerance, $"F {Relative(f, fRef):E2}");
        Assert.True(RelativeInf(g, gRef) <= GTolerance, $"gradient {RelativeInf(g, gRef):E2}");
    }

    [Fact]
    public void Switching_arithmetic_back_and_forth_is_exact_and_deterministic()
    {
        var data = Dense(1000, 50, 10, seed: 14);
        var theta = FullTheta(10, 50, seed: 15);
        var loss = new CpuSoftmaxLoss(data, new(2));
        Assert.Equal(Precision.Float32, loss.Arithmetic);
        Assert.False(loss.TrySetArithmetic(Precision.Auto));
        var f32 = Evaluate(loss, theta);
        Assert.True(loss.TrySetArithmetic(Precision.Float64));
        var a = Evaluate(loss, theta);
        var b = Evaluate(loss, theta);
        Assert.Equal(a.F, b.F);
        Assert.Equal(a.G, b.G);
        var (fRef, _) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
        Assert.True(Relative(a.F, fRef) < Relative(f32.F, fRef) || Relative(a.F, fRef) <= 1e-15,
            $"float64 {Relative(a.F, fRef):E2} vs float32 {Relative(f32.F, fRef):E2}");
        Assert.True(loss.TrySetArithmetic(Precision.Float32));
        var back = Evaluate(loss, theta);
        Assert.Equal(f32.F, back.F);
        Assert.Equal(f32.G, back.G);
        // Value alone equals the value with the gradient, in float64 too.
        loss.TrySetArithmetic(Precision.Float64);
        var sums = loss.Value(theta, RowSet.Range(0, data.Rows));
        Assert.Equal(a.F, sums.Loss / sums.Weight, 1e-15);
    }
}

using Softmax.Data;
using Softmax.Engine;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Engine;

/// <summary>The pieces the AVX-512 engine sizes and computes itself: its float32 exp and the host's cache sizes.</summary>
public class HostKernelTests
{
    [SkippableFact]
    public void Float32_exp_is_within_1_2e_minus_7_of_float64_exp_over_the_softmax_range()
    {
        Skip.IfNot(Avx512Kernels.IsSupported, "this processor has no AVX-512");
        var rng = new Random(5);
        double worst = 0;
        var x = new float[16];
        for (int i = 0; i < 200_000; i++)
        {
            for (int l = 0; l < 16; l++) x[l] = i < 1000 ? -(i * 16 + l) * 0.005f : -(float)(rng.NextDouble() * 87);
            var e = Avx512Kernels.Exp(System.Runtime.Intrinsics.Vector512.Create<float>(x));
            for (int l = 0; l < 16; l++)
            {
                double exact = Math.Exp(x[l]);
                worst = Math.Max(worst, Math.Abs(e[l] - exact) / exact);
            }
        }
        Assert.True(worst <= 1.2e-7, $"worst relative error {worst:E3}");
        float[] at = [0f, -1e-30f, -200f, float.NegativeInfinity, float.NaN, -87.3f, -0.5f, -1f, -2f, -10f, -50f, -80f, -90f, -100f, -103f, -104f];
        var edges = Avx512Kernels.Exp(System.Runtime.Intrinsics.Vector512.Create<float>(at));
        Assert.Equal(1f, edges[0]);
        Assert.Equal(1f, edges[1]);
        Assert.Equal(0f, edges[2]);
        Assert.Equal(0f, edges[3]);
        Assert.True(float.IsNaN(edges[4]));
        for (int l = 5; l < 16; l++)
        {
            // Below float32's smallest normal (x < −87.3) the result is subnormal: within half a subnormal step.
            double exact = Math.Exp(at[l]);
            Assert.True(Math.Abs(edges[l] - exact) <= 1.2e-7 * exact + 7.1e-46, $"exp({at[l]}) = {edges[l]:E6}, exact {exact:E6}");
        }
    }

    [Fact]
    public void Cache_sizes_are_those_of_a_real_core()
    {
        Assert.InRange(HostCaches.L1Data, 16 << 10, 256 << 10);
        Assert.InRange(HostCaches.L2, 256 << 10, 16 << 20);
        Assert.True(HostCaches.L2 > HostCaches.L1Data);
    }

    [Theory]
    [InlineData("48K", 48 << 10)]
    [InlineData("1M", 1 << 20)]
    [InlineData(" 32768 ", 32768)]
    [InlineData("2m", 2 << 20)]
    [InlineData("1024K\n", 1 << 20)]
    [InlineData("", null)]
    [InlineData("-1K", null)]
    [InlineData("1.5M", null)]
    [InlineData("4096M", null)]
    public void Cache_sizes_parse_like_sysfs(string text, int? bytes) => Assert.Equal(bytes, HostCaches.Bytes(text));

    [Fact]
    public void Blocks_stay_in_L2_and_hold_at_least_C_rows_with_a_stage_and_4C_without_where_L2_allows()
    {
        foreach (var (features, classes) in new[] { (784, 10), (3072, 10), (512, 100), (37, 3), (20000, 10), (3072, 30) })
        {
            var data = Dense(20, features, classes, seed: features);
            var engine = new CpuSoftmaxLoss(data, new CpuEngineOptions(1));
            int rows = engine.BlockRows, least = (engine.StagedBlocks > 0 ? 1 : 4) * classes;
            long rowBytes = DenseMatrix.PaddedLength(features) * 4L;
            Assert.InRange(rows, 16, Avx512Kernels.ColumnStride);
            Assert.True(rows % 4 == 0, $"D={features}: {rows} rows");
            if (rows > 16) Assert.True(rows * rowBytes <= HostCaches.L2 / 2, $"D={features}: {rows} rows of {rowBytes} B");
            Assert.True(rows >= Math.Min(least, Math.Min(HostCaches.L2 / 2 / rowBytes, 256)) / 4 * 4 || rows == 16, $"D={features} C={classes}: {rows} rows");
            // And no more than 3/16 of L2 asks for, past that least (the next block must fit beside this one).
            Assert.True(rows <= Math.Max(HostCaches.L2 * 3L / 16 / rowBytes, least) || rows == 16, $"D={features} C={classes}: {rows} rows");
        }
    }

    [SkippableTheory]
    [InlineData(40, 3072, 10)] // the CIFAR-10 shape: ten-class 32-float tiles
    [InlineData(37, 784, 10)]  // S ≡ 16 mod 32: the last strip goes through the 16-float tile
    [InlineData(13, 800, 23)]  // two ten-class panels, then three classes one column at a time
    [InlineData(21, 208, 15)]  // a ten-class panel and a five-class 64-float tile
    public unsafe void Backward_from_raw_bytes_gives_the_bits_of_the_float_rows_they_convert_to(int rows, int S, int C)
    {
        Skip.IfNot(Avx512Kernels.IsSupported, "this processor has no AVX-512");
        var rng = new Random(rows * 31 + C);
        var bytes = new byte[rows * S];
        rng.NextBytes(bytes);
        var floats = bytes.Select(b => (float)b).ToArray();
        const int cs = Avx512Kernels.ColumnStride;
        var e = new float[C * cs];
        for (int i = 0; i < e.Length; i++) e[i] = (float)(rng.NextDouble() - 0.5);
        // A non-zero starting gradient, as a float32 stage and as float64, so the final add is covered too.
        var start = Enumerable.Range(0, C * S).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var (fromFloats, fromBytes) = (start.ToArray(), start.ToArray());
        var (wideFromFloats, wideFromBytes) = (start.Select(v => (double)v).ToArray(), start.Select(v => (double)v).ToArray());
        fixed (byte* b = bytes)
        fixed (float* f = floats, pe = e, g1 = fromFloats, g2 = fromBytes)
        fixed (double* d1 = wideFromFloats, d2 = wideFromBytes)
        {
            var floatRows = stackalloc float*[rows];
            var byteRows = stackalloc byte*[rows];
            for (int r = 0; r < rows; r++)
            {
                floatRows[r] = f + r * S;
                byteRows[r] = b + r * S;
            }
            Avx512Kernels.Backward(floatRows, rows, S, pe, 1, cs, C, g1);
            Avx512Kernels.BackwardBytes(byteRows, rows, S, pe, 1, cs, C, g2);
            Avx512Kernels.Backward(floatRows, rows, S, pe, 1, cs, C, d1);
            Avx512Kernels.BackwardBytes(byteRows, rows, S, pe, 1, cs, C, d2);
        }
        Assert.Equal(fromFloats, fromBytes);
        Assert.Equal(wideFromFloats, wideFromBytes);
        // And the sums are the gradient: against a float64 loop over the same numbers.
        for (int c = 0; c < C; c++)
            for (int k = 0; k < S; k += 97)
            {
                double exact = start[c * S + k];
                for (int r = 0; r < rows; r++) exact += (double)e[c * cs + r] * bytes[r * S + k];
                Assert.True(Math.Abs(fromBytes[c * S + k] - exact) <= 1e-4 * (1 + Math.Abs(exact)), $"g[{c},{k}] = {fromBytes[c * S + k]}, float64 {exact}");
            }
    }
}

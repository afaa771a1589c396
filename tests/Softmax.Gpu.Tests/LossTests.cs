using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Gpu.Tests;

[Collection("gpu")]
public sealed class LossTests(DeviceFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    public static TheoryData<int, int, int, bool, double> Shapes => new()
    {
        { 1, 5, 2, false, 0.5 },
        { 37, 19, 3, false, 0.5 },
        { 100, 33, 10, true, 0.5 },
        { 70, 17, 100, false, 0.5 },
        { 129, 40, 3, true, 60.0 },   // extreme scores: softmax saturates, exp underflows
        { 65, 1, 2, false, 1.0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FusedAndNaiveMatchTheReferences(int n, int d, int c, bool weights, double thetaScale)
    {
        var data = Data.Dense(n, d, c, seed: n * 31 + d, weights);
        var theta = Data.Theta(c, d, seed: 7, thetaScale);
        var refG = new double[theta.Length];
        var refS = new ReferenceSoftmaxLoss(data).Accumulate(theta, refG, RowSet.Range(0, n));
        var cpuG = new double[theta.Length];
        var cpuS = new CpuSoftmaxLoss(data, new CpuEngineOptions(Threads: 1)).Accumulate(theta, cpuG, RowSet.Range(0, n));
        foreach (var kernel in new[] { GpuKernel.Fused, GpuKernel.Naive })
        {
            using var gpu = new GpuSoftmaxLoss(_dev, data, new GpuEngineOptions(kernel));
            var g = new double[theta.Length];
            var s = gpu.Accumulate(theta, g, RowSet.Range(0, n));
            Assert.True(Data.Rel(s.Loss, refS.Loss) < 1e-5, $"{kernel} F {s.Loss} vs {refS.Loss}");
            Assert.True(Data.Rel(s.Weight, refS.Weight) < 1e-6);
            Assert.True(Data.RelErr(g, refG) < 1e-5, $"{kernel} grad rel err {Data.RelErr(g, refG):E2}");
            Assert.True(Data.Rel(s.Loss, cpuS.Loss) < 1e-5);
            Assert.True(Data.RelErr(g, cpuG) < 1e-5, $"{kernel} vs CPU {Data.RelErr(g, cpuG):E2}");
            var v = gpu.Value(theta, RowSet.Range(0, n));
            Assert.True(Data.Rel(v.Loss, s.Loss) < 1e-6);
        }
    }

    [Fact]
    public void AccumulateAddsIntoTheGivenSums()
    {
        var data = Data.Dense(50, 9, 4, 3);
        var theta = Data.Theta(4, 9, 1, 0.3);
        using var gpu = new GpuSoftmaxLoss(_dev, data);
        var once = new double[theta.Length];
        gpu.Accumulate(theta, once, RowSet.Range(0, 50));
        var twice = (double[])once.Clone();
        gpu.Accumulate(theta, twice, RowSet.Range(0, 50));
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], twice[i], 12);
    }

    [Fact]
    public void IndexedRowsAndSubRangesMatchTheReference()
    {
        var data = Data.Dense(90, 21, 5, 11, weights: true);
        var theta = Data.Theta(5, 21, 2, 0.4);
        int[] idx = [.. Enumerable.Range(0, 90).Select(i => (i * 37) % 90)];
        using var gpu = new GpuSoftmaxLoss(_dev, data);
        var reference = new ReferenceSoftmaxLoss(data);
        foreach (var rows in new[] { RowSet.Of(idx, 10, 45), RowSet.Range(13, 40), RowSet.Of(idx, 0, 1) })
        {
            var g = new double[theta.Length];
            var r = new double[theta.Length];
            var s = gpu.Accumulate(theta, g, rows);
            var t = reference.Accumulate(theta, r, rows);
            Assert.True(Data.Rel(s.Loss, t.Loss) < 1e-5);
            Assert.True(Data.RelErr(g, r) < 1e-5);
        }
    }

    [Fact]
    public void TwoRunsAreBitIdentical()
    {
        var data = Data.Dense(300, 45, 10, 5, weights: true);
        var theta = Data.Theta(10, 45, 3, 0.5);
        using var gpu = new GpuSoftmaxLoss(_dev, data);
        Assert.True(gpu.Blocks > 1);
        var a = new double[theta.Length];
        var b = new double[theta.Length];
        var sa = gpu.Accumulate(theta, a, RowSet.Range(0, 300));
        var sb = gpu.Accumulate(theta, b, RowSet.Range(0, 300));
        Assert.Equal(sa, sb);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Uint8RowsAreScaledInTheKernel()
    {
        var data = Data.Bytes(77, 30, 10, 9);
        var theta = Data.Theta(10, 30, 4, 0.2);
        using var gpu = new GpuSoftmaxLoss(_dev, data);
        Assert.True(gpu.IsUint8);
        var g = new double[theta.Length];
        var r = new double[theta.Length];
        var s = gpu.Accumulate(theta, g, RowSet.Range(0, 77));
        var t = new ReferenceSoftmaxLoss(data).Accumulate(theta, r, RowSet.Range(0, 77));
        Assert.True(Data.Rel(s.Loss, t.Loss) < 1e-5);
        Assert.True(Data.RelErr(g, r) < 1e-5);
    }

    [Fact]
    public void ClassWeightsFollowTheCpuEngine()
    {
        var data = Data.Dense(60, 8, 3, 21);
        double[] cw = [0.5, 2.0, 1.0];
        var theta = Data.Theta(3, 8, 5, 0.5);
        using var gpu = new GpuSoftmaxLoss(_dev, data, new GpuEngineOptions(ClassWeights: cw));
        var g = new double[theta.Length];
        var r = new double[theta.Length];
        var s = gpu.Accumulate(theta, g, RowSet.Range(0, 60));
        var t = new ReferenceSoftmaxLoss(data, cw).Accumulate(theta, r, RowSet.Range(0, 60));
        Assert.True(Data.Rel(s.Loss, t.Loss) < 1e-5);
        Assert.True(Data.Rel(s.Weight, t.Weight) < 1e-6);
        Assert.True(Data.RelErr(g, r) < 1e-5);
    }

    [Fact]
    public void CsrIsRejectedWithAPointerToTheCpuEngine()
    {
        var csr = new CsrMatrix([0, 1, 2], [0, 1], [1f, 2f], 2, 3);
        var data = new Dataset(csr, [0, 1], ["a", "b"]);
        var e = Assert.Throws<NotSupportedException>(() => new GpuSoftmaxLoss(_dev, data));
        Assert.Contains("CPU engine", e.Message);
    }

    [Fact]
    public void DataThatDoNotFitGiveAClearError()
    {
        var data = Data.Dense(100, 10, 3, 1);
        var e = Assert.Throws<GpuMemoryException>(() => new GpuSoftmaxLoss(_dev, data, new GpuEngineOptions(MemoryLimitBytes: 1000)));
        Assert.Contains("--device cpu", e.Message);
    }

    [SkippableFact]
    public void AutoFallsBackToTheCpuWithANotice()
    {
        bool gpu = GpuDevice.TryCreateCuda(out var cuda, out _);
        cuda?.Dispose();
        Skip.If(gpu, "a CUDA GPU is present, so --device auto uses it: the fallback to the CPU cannot happen here");
        Assert.Null(GpuDevice.Open(ComputeDevice.Auto, out var notice));
        Assert.StartsWith("GPU not used: ", notice);
        Assert.Null(GpuDevice.Open(ComputeDevice.Cpu, out var none));
        Assert.Null(none);
        Assert.Throws<InvalidOperationException>(() => GpuDevice.Open(ComputeDevice.Cuda, out _));
    }
}

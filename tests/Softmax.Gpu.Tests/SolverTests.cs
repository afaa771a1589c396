using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Gpu.Tests;

[Collection("gpu")]
public sealed class SolverTests(DeviceFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    [Fact]
    public void LbfgsOnDigitsReachesTheCpuOptimum()
    {
        // ILGPU's CPU accelerator runs about 0.2 ms per digits row-evaluation on the 2-core CI box, so the run uses the
        // first 240 digits (all 64 features, 10 classes) and λ2 = 1e-2; the full set is exercised by bench/gpu on a GPU.
        var raw = NamedDatasets.LoadDigits().Slice(0, 240);
        var data = Preprocessor.Fit(PreprocessKind.Scale, raw, 1f / 16).Apply(raw);
        var options = new LbfgsOptions { MaxIterations = 300, Precondition = false };
        var theta0 = new double[data.ClassCount * data.FeatureCount + data.ClassCount];
        var cpu = new LbfgsSolver(options).Minimize(new SoftmaxObjective(new CpuSoftmaxLoss(data), 1e-2), theta0, new SolverContext());
        using var loss = new GpuSoftmaxLoss(_dev, data);
        var objective = new SoftmaxObjective(loss, 1e-2);
        var gpu = new LbfgsSolver(options).Minimize(objective, theta0, new SolverContext());
        var reference = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), 1e-2);
        double fc = reference.Value(cpu.Theta), fg = reference.Value(gpu.Theta);
        Assert.True(Data.Rel(fg, fc) < 1e-6, $"F gpu {fg:R} cpu {fc:R} ({gpu.Reason}, {gpu.Iterations} it)");
    }
}

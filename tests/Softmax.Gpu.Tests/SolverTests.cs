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
        using var loss = (GpuSoftmaxLoss)GpuEngine.LossFactory(_dev)(data, null);
        var objective = new SoftmaxObjective(loss, 1e-2);
        var gpu = new LbfgsSolver(options).Minimize(objective, theta0, new SolverContext());
        var reference = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), 1e-2);
        double fc = reference.Value(cpu.Theta), fg = reference.Value(gpu.Theta);
        Assert.True(Data.Rel(fg, fc) < 1e-6, $"F gpu {fg:R} cpu {fc:R} ({gpu.Reason}, {gpu.Iterations} it)");
    }

    [Theory]
    [InlineData(0.0, false, 0.0, BatchSampling.Shuffle)]
    [InlineData(0.9, false, 1e-3, BatchSampling.Shuffle)]
    [InlineData(0.5, true, 0.0, BatchSampling.WithReplacement)]
    public void SgdEpochOnTheDeviceFollowsTheCpuSolver(double momentum, bool nesterov, double l1, BatchSampling sampling)
    {
        var data = Data.Dense(250, 23, 4, 17, weights: true, scale: 0.5f);
        var mb = new MiniBatchOptions { LearningRate = 0.05, BatchSize = 32, Epochs = 2, Seed = 3, Sampling = sampling };
        const double l2 = 1e-3;
        var theta0 = Data.Theta(4, 23, 8, 0.1);
        var cpu = new MiniBatchSolver(new SgdRule(momentum, nesterov), mb).Minimize(
            new SoftmaxObjective(new CpuSoftmaxLoss(data, new CpuEngineOptions(Threads: 1)), l2, l1), theta0, new SolverContext());

        using var loss = new GpuSoftmaxLoss(_dev, data);
        using var epoch = new GpuSgdEpoch(loss, mb, momentum, nesterov, l2, l1);
        epoch.SetParameters(theta0);
        double last = 0;
        for (int e = 0; e < mb.Epochs; e++) last = epoch.RunEpoch(e);
        var theta = new double[theta0.Length];
        epoch.GetParameters(theta);
        Assert.True(Data.RelErr(theta, cpu.Theta) < 1e-4, $"θ rel err {Data.RelErr(theta, cpu.Theta):E2}");
        Assert.True(Data.Rel(last, cpu.Value) < 1e-5, $"epoch loss {last:R} vs {cpu.Value:R}");
    }

    [Fact]
    public void PredictAndEvaluateMatchTheModel()
    {
        var data = Data.Dense(140, 26, 7, 23);
        var theta = Data.Theta(7, 26, 9, 1.0);
        var model = new SoftmaxModel(theta, data.ClassNames, data.FeatureCount);
        using var gpu = new GpuSoftmaxLoss(_dev, data);
        var p = gpu.PredictProba(theta);
        var q = model.PredictProba(data);
        Assert.Equal(q.Length, p.Length);
        for (int i = 0; i < p.Length; i++) Assert.True(Math.Abs(p[i] - q[i]) < 1e-5, $"p[{i}] {p[i]} vs {q[i]}");
        Assert.Equal(model.Predict(data), gpu.Predict(theta));
        var ev = gpu.Evaluate(theta);
        Assert.Equal(model.Score(data), ev.Accuracy, 12);
        Assert.Equal(data.Rows, ev.Confusion.Sum());
        var pred = model.Predict(data);
        for (int i = 0; i < data.Rows; i++) ev.Confusion[data.Labels[i] * 7 + pred[i]]--;
        Assert.All(ev.Confusion, v => Assert.Equal(0, v));
        var r = new ReferenceSoftmaxLoss(data).Value(theta, RowSet.Range(0, data.Rows));
        Assert.True(Data.Rel(ev.Loss, r.Loss / r.Weight) < 1e-5);
    }
}

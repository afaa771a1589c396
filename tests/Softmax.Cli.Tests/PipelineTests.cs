using System.Globalization;
using System.Text;
using System.Text.Json;
using Softmax.Cli.Infrastructure;
using Softmax.Data;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Tests;

/// <summary>
/// Issue 14's CLI as plan → run → report: the GPU engine is kept with --plots (on ILGPU's CPU accelerator, through
/// SOFTMAX_GPU_DEVICE=ilgpu-cpu), the learning curves are the accepted iterates, the trainer's split is the one
/// reported, and every incompatible flag combination fails before any work.
/// </summary>
public class PipelineTests
{
    private static readonly Dictionary<string, string> SimulatedGpu = new() { [TrainingEngine.DeviceVariable] = "ilgpu-cpu" };

    /// <summary>Three overlapping classes in <paramref name="features"/> dimensions, label last.</summary>
    private static string Csv(int rows, int features, int seed)
    {
        var rng = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < rows; i++)
        {
            int y = i % 3;
            for (int j = 0; j < features; j++) text.Append((0.7 * y * ((j % 3) - 1) + 2 * rng.NextDouble()).ToString("R", CultureInfo.InvariantCulture)).Append(',');
            text.Append(y).Append('\n');
        }
        return text.ToString();
    }

    private static JsonElement Metrics(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void Device_cuda_with_plots_trains_lbfgs_on_the_gpu_loss_to_the_cpu_optimum()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["rows.csv"], Csv(150, 4, 1));
        string[] common = ["train", "--data", "rows.csv", "--preprocess", "none", "--l2", "0.01", "--tol", "1e-5", "--threads", "1", "-q"];
        Cli.Ok(dir.Path, SimulatedGpu, [.. common, "--device", "cuda", "--plots", "plots", "--metrics-json", "gpu.json", "--model", "gpu.softmax"]);
        Cli.Ok(dir.Path, [.. common, "--metrics-json", "cpu.json", "--model", "cpu.softmax"]);
        var gpu = Metrics(dir["gpu.json"]);
        var cpu = Metrics(dir["cpu.json"]);
        Assert.Equal("gpu", gpu.GetProperty("engine").GetString());
        Assert.Equal("cpu", cpu.GetProperty("engine").GetString());
        Assert.False(cpu.TryGetProperty("device_passes", out _));
        // Before, --plots swapped in a CPU loss: the device ran no pass. Every L-BFGS iteration evaluates at least once.
        long passes = gpu.GetProperty("device_passes").GetInt64();
        int iterations = gpu.GetProperty("iterations").GetInt32();
        Assert.True(passes >= iterations && iterations > 3, $"{passes} device passes for {iterations} iterations");
        // The same optimum: F agrees far inside the float32 noise of the device passes.
        double fGpu = gpu.GetProperty("objective").GetDouble(), fCpu = cpu.GetProperty("objective").GetDouble();
        Assert.True(Math.Abs(fGpu - fCpu) <= 1e-6 * fCpu, $"F on the GPU {fGpu:R}, on the CPU {fCpu:R}");
        Assert.True(File.Exists(Path.Combine(dir.Path, "plots", "learning-curve-accuracy.png")));
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Device_cuda_runs_every_mini_batch_on_the_gpu_loss(string solver)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["rows.csv"], Csv(120, 4, 2));
        Cli.Ok(dir.Path, SimulatedGpu, "train", "--data", "rows.csv", "--solver", solver, "--epochs", "3", "--batch-size", "32", "--lr", "0.05",
            "--device", "cuda", "--plots", "plots", "--metrics-json", "m.json", "-q");
        var m = Metrics(dir["m.json"]);
        Assert.Equal("gpu", m.GetProperty("engine").GetString());
        // 120 rows in batches of 32: 4 steps an epoch, each one pass of the device loss, and no other pass on it.
        Assert.Equal(12, m.GetProperty("iterations").GetInt32());
        Assert.Equal(12, m.GetProperty("device_passes").GetInt64());
    }

    [Fact]
    public void The_accuracy_curve_is_scored_at_the_accepted_iterates()
    {
        var values = Enumerable.Range(0, 90).SelectMany(i => new float[] { i % 3 + (float)Math.Sin(i), (float)Math.Cos(3 * i), i % 5 }).ToArray();
        var data = new Dataset(DenseMatrix.FromRowMajor(values, 90, 3), Enumerable.Range(0, 90).Select(i => i % 3).ToArray(), ["a", "b", "c"]);
        var options = new TrainingOptions { L2 = 0.05, ValidationFraction = 0.2, Seed = 3, Engine = new Softmax.Engine.CpuEngineOptions(Threads: 1) };
        var trail = new ParameterTrail();
        var result = SoftmaxTrainer.Fit(data, options, new SyncProgress<TrainingProgress>(p => trail.Offer(p.Iteration, p.CurrentParameters!)));
        var train = result.Train!;
        Assert.Equal(data.Rows, train.Rows + result.Validation!.Rows);
        var x = result.Model.Preprocessor.Apply(train);
        Assert.Equal(result.Solver.History.Count, trail.Points.Count);
        foreach (var (step, theta) in trail.Points)
        {
            // An independent float64 F: mean cross-entropy over the fitted rows plus λ/2 ‖W‖² (bias unpenalised).
            double f = NaiveObjective(x, theta, options.L2);
            var entry = result.Solver.History.Single(h => h.Iteration == step);
            Assert.True(Math.Abs(f - entry.Loss) <= 1e-9 * Math.Abs(entry.Loss), $"iteration {step}: F at the recorded θ {f:R}, history {entry.Loss:R}");
        }
        var last = trail.Points[^1].Theta;
        Assert.All(result.Model.Parameters.Zip(last), p => Assert.Equal(p.First, p.Second, 1e-12));
        var curve = trail.Curve(train, result.Model.Preprocessor, []);
        Assert.Equal(trail.Points.Select(p => p.Step), curve.Select(c => c.Epoch));
        Assert.Equal(Scoring.Accuracy(result.Model, train), curve[^1].TrainAccuracy);
    }

    [Fact]
    public void A_long_trail_keeps_at_most_its_bound_evenly_spaced()
    {
        var trail = new ParameterTrail();
        for (int step = 1; step <= 1000; step++) trail.Offer(step, () => [step]);
        Assert.InRange(trail.Points.Count, ParameterTrail.MaxPoints / 2, ParameterTrail.MaxPoints);
        var gaps = trail.Points.Zip(trail.Points.Skip(1), (a, b) => b.Step - a.Step).Distinct().ToArray();
        Assert.Single(gaps);
        Assert.All(trail.Points, p => Assert.Equal(p.Step, p.Theta[0]));
    }

    /// <summary>In memory and streamed alike: the streamed trainer returns its held-out rows too, and the report scores them.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Train_accuracy_is_measured_on_the_rows_the_trainer_fitted(bool streamed)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["rows.csv"], Csv(150, 4, 4));
        string[] args = ["train", "--data", "rows.csv", "--validation-fraction", "0.3", "--seed", "5", "--plots", "plots", "--metrics-json", "m.json", "-q"];
        Cli.Ok(dir.Path, streamed ? [.. args, "--stream"] : args);
        var m = Metrics(dir["m.json"]);
        var model = Softmax.IO.ModelFile.Load(dir["model.softmax"]);
        var all = DataLoader.Load(dir["rows.csv"]);
        var (fitted, validation) = all.Split(0.3, 5);   // the reference: the trainer's stratified split, made here once
        Assert.Equal(fitted.Rows, m.GetProperty("n_train").GetInt32());
        Assert.Equal(model.Score(fitted), m.GetProperty("train_accuracy").GetDouble(), 12);
        Assert.Equal(model.Score(validation), m.GetProperty("validation_accuracy").GetDouble(), 12);
    }

    [Theory]
    [InlineData("--precision float64", "train --device cuda --precision float64")]
    [InlineData("exclude each other", "train --stream --distributed")]
    [InlineData("--device cuda is not offered", "train --stream --device cuda")]
    [InlineData("--collective-timeout applies to --distributed", "train --collective-timeout 5")]
    [InlineData("--average-every applies to --distributed", "train --solver sgd --average-every 2")]
    [InlineData("--precision float64", "tune --device cuda --precision float64")]
    [InlineData("--output-format json", "predict --model none.softmax --format json")]
    public void Incompatible_flags_fail_before_any_work_with_one_line(string reason, string args)
    {
        using var dir = new TempDir();
        var r = Cli.Run(dir.Path, [.. args.Split(' '), "--data", "digits"]);
        Assert.True(r.ExitCode == 2, r.ToString());
        var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("softmax: error:", StringComparison.Ordinal)).ToArray();
        Assert.Single(errors);
        Assert.Contains(reason, errors[0]);
        Assert.DoesNotContain("data: ", r.Stderr);   // nothing was loaded
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [SkippableFact]
    public void Device_cuda_without_a_gpu_says_why_and_trains_nothing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["rows.csv"], Csv(30, 2, 5));
        var r = Cli.Run(dir.Path, ["train", "--data", "rows.csv", "--device", "cuda", "-q"]);
        Skip.If(r.ExitCode == 0, "this machine has a CUDA GPU: --device cuda trains, there is nothing to refuse");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--device cuda:", r.Stderr);
        Assert.False(File.Exists(dir["model.softmax"]));
    }

    [SkippableFact]
    public void Device_auto_without_a_gpu_says_so_even_when_quiet_and_trains_on_the_cpu()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["rows.csv"], Csv(30, 2, 6));
        var r = Cli.Run(dir.Path, ["train", "--data", "rows.csv", "--device", "auto", "--metrics-json", "m.json", "-q"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string engine = Metrics(dir["m.json"]).GetProperty("engine").GetString()!;
        Skip.If(engine == "gpu", "this machine has a CUDA GPU: --device auto uses it");
        Assert.Equal("cpu", engine);
        Assert.Contains("softmax: note: GPU not used: ", r.Stderr);
    }

    [Fact]
    public void Sparse_rows_on_the_gpu_are_an_input_error_that_says_why()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["rows.svm"], string.Join('\n', Enumerable.Range(0, 30).Select(i => $"{i % 3} 1:{i % 7} 4:{(i * 13) % 5}")) + "\n");
        var r = Cli.Run(dir.Path, ["train", "--data", "rows.svm", "--format", "libsvm", "--device", "cuda", "-q"], env: SimulatedGpu);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("CSR", r.Stderr);
        Assert.DoesNotContain("a bug in softmax", r.Stderr);
        Assert.False(File.Exists(dir["model.softmax"]));
    }

    private static double NaiveObjective(Dataset x, double[] theta, double l2)
    {
        int c = x.ClassCount, d = x.FeatureCount;
        double sum = 0, penalty = 0;
        var row = new float[d];
        for (int i = 0; i < x.Rows; i++)
        {
            x.Features.CopyRow(i, row);
            var z = new double[c];
            for (int k = 0; k < c; k++)
            {
                z[k] = theta[c * d + k];
                for (int j = 0; j < d; j++) z[k] += theta[k * d + j] * row[j];
            }
            double max = z.Max(), lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            sum += lse - z[x.Labels[i]];
        }
        for (int m = 0; m < c * d; m++) penalty += theta[m] * theta[m];
        return sum / x.Rows + 0.5 * l2 * penalty;
    }
}

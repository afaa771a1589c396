using System.Text.Json;
using Softmax.Data;
using Softmax.Model;
using Softmax.Optimization;
using Xunit.Abstractions;

namespace Softmax.Tests.Optimization;

/// <summary>
/// The core issue's acceptance for the stochastic solvers: tuned SGD (momentum, Nesterov) and Adam runs on all of
/// Fashion-MNIST end within 1e-3 relative of the published optimum F* of the same objective.
/// </summary>
public sealed class FashionMnistMiniBatchTests(ITestOutputHelper output)
{
    private static readonly Lazy<Dataset> Train = new(() =>
    {
        try { return NamedDatasets.Load("fashion-mnist").Train; }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException($"Fashion-MNIST is required: apt-get install dataset-fashion-mnist (CI installs it). {e.Message}");
        }
    });

    private static double FStar()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "fashion-mnist-optimum.json")));
        return json.RootElement.GetProperty("F_star").GetDouble();
    }

    [Theory]
    [InlineData("sgd-momentum", 0.5, 0.9, false)]
    [InlineData("sgd-nesterov", 0.4, 0.9, true)]
    [InlineData("adam", 0.02, 0.0, false)]
    public void Tuned_minibatch_run_gets_within_1e3_of_the_optimum(string name, double lr, double momentum, bool nesterov)
    {
        var options = new TrainingOptions
        {
            Solver = name == "adam" ? SolverKind.Adam : SolverKind.Sgd,
            L2 = 1e-4,
            Momentum = momentum,
            Nesterov = nesterov,
            Seed = 1,
            MiniBatch = new MiniBatchOptions { LearningRate = lr, BatchSize = 256, Epochs = 100, Schedule = new CosineSchedule(0), Seed = 1 },
        };
        var result = SoftmaxTrainer.Fit(Train.Value, options);
        double fStar = FStar(), gap = (result.Objective - fStar) / fStar;
        output.WriteLine($"{name}: lr {lr}, 100 epochs, F = {result.Objective:R}, gap {gap:E2}, {result.Elapsed.TotalSeconds:F1} s");
        Assert.InRange(gap, 0, 1e-3);
    }
}

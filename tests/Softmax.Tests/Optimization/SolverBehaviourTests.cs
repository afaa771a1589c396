using Softmax.Engine;
using Softmax.Optimization;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Optimization;

/// <summary>Early stopping, cancellation, divergence, determinism and checkpoint/resume of every solver.</summary>
public class SolverBehaviourTests
{
    private static readonly Softmax.Data.Dataset Data = Separable(600, 20, 5, seed: 7);

    /// <summary>The float32 engine on 2 threads (600 rows: both threads work), λ2 = 1e-3.</summary>
    private static SoftmaxObjective Objective(int threads = 2) => new(new CpuSoftmaxLoss(Data, new CpuEngineOptions(threads)), 1e-3);

    private sealed class Sync<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }

    public static TheoryData<string> Solvers() => new() { "lbfgs", "lbfgs-pre", "sgd", "sgd-momentum", "sgd-nesterov", "adam" };

    private static ISolver Make(string name, int epochs = 12) => name switch
    {
        "lbfgs" => new LbfgsSolver(new LbfgsOptions { MaxIterations = epochs * 3, Precondition = false }),
        "lbfgs-pre" => new LbfgsSolver(new LbfgsOptions { MaxIterations = epochs * 3 }, FeatureMoments.Compute(Data.Features)),
        "sgd" => new MiniBatchSolver(new SgdRule(), new MiniBatchOptions { LearningRate = 0.5, BatchSize = 64, Epochs = epochs, Seed = 3 }),
        "sgd-momentum" => new MiniBatchSolver(new SgdRule(0.9), new MiniBatchOptions { LearningRate = 0.05, BatchSize = 64, Epochs = epochs, Seed = 3, Sampling = BatchSampling.WithReplacement }),
        "sgd-nesterov" => new MiniBatchSolver(new SgdRule(0.9, nesterov: true), new MiniBatchOptions { LearningRate = 0.05, BatchSize = 64, Epochs = epochs, Seed = 3, Schedule = new CosineSchedule(0.1) }),
        _ => new MiniBatchSolver(new AdamRule(), new MiniBatchOptions { LearningRate = 0.01, BatchSize = 64, Epochs = epochs, Seed = 3, Schedule = new InverseTimeSchedule(0.5) }),
    };

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Same_seed_and_threads_give_bit_identical_weights(string name)
    {
        var a = Make(name).Minimize(Objective(), new double[Objective().Dimension], new SolverContext());
        var b = Make(name).Minimize(Objective(), new double[Objective().Dimension], new SolverContext());
        Assert.Equal(a.Theta, b.Theta);
        Assert.Equal(a.Value, b.Value);
        Assert.Contains(a.Theta, v => v != 0);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Resuming_from_a_checkpoint_ends_bit_identical_to_an_uninterrupted_run(string name)
    {
        SolverState? saved = null;
        var full = Make(name).Minimize(Objective(), new double[Objective().Dimension], new SolverContext
        {
            Checkpoint = s => { if (s.Epoch >= 5 && saved is null || name.StartsWith("lbfgs", StringComparison.Ordinal) && s.Iteration == 5) saved = s; },
        });
        Assert.NotNull(saved);
        var resumed = Make(name).Minimize(Objective(), new double[Objective().Dimension], new SolverContext { ResumeFrom = saved });
        Assert.Equal(full.Theta, resumed.Theta);
        Assert.Equal(full.Iterations, resumed.Iterations);
        Assert.Equal(full.Reason, resumed.Reason);
        Assert.Equal(full.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Early_stopping_keeps_the_best_validated_weights(string name)
    {
        // A validation score that peaks at the third report, then declines: with patience 2 the run stops at the
        // fifth report and returns exactly the weights seen at the third.
        double[] accuracies = [0.5, 0.6, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
        int calls = 0;
        double[]? atPeak = null;
        var context = new SolverContext
        {
            Patience = 2,
            Validate = theta =>
            {
                double acc = accuracies[Math.Min(calls, accuracies.Length - 1)];
                if (calls == 2) atPeak = (double[])theta.Clone();
                calls++;
                return new ValidationScore(acc, 1 - acc);
            },
        };
        var result = Make(name, epochs: 30).Minimize(Objective(), new double[Objective().Dimension], context);
        Assert.Equal(StopReason.EarlyStopping, result.Reason);
        Assert.Equal(5, calls);
        Assert.Equal(atPeak, result.Theta);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Cancellation_returns_finite_weights(string name)
    {
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var context = new SolverContext
        {
            CancellationToken = cts.Token,
            Progress = new Sync<TrainingProgress>(p => { if (++reports == 2) cts.Cancel(); }),
        };
        var result = Make(name, epochs: 50).Minimize(Objective(), new double[Objective().Dimension], context);
        Assert.Equal(StopReason.Cancelled, result.Reason);
        Assert.Equal(2, reports);
        Assert.All(result.Theta, v => Assert.True(double.IsFinite(v)));
        Assert.Contains(result.Theta, v => v != 0);
    }

    [Theory]
    [InlineData(0.0), InlineData(0.9)]
    public void A_huge_learning_rate_diverges_with_a_helpful_message(double momentum)
    {
        var solver = new MiniBatchSolver(new SgdRule(momentum), new MiniBatchOptions { LearningRate = 1e6, BatchSize = 32, Epochs = 50 });
        var e = Assert.Throws<TrainingDivergedException>(() => solver.Minimize(Objective(), new double[Objective().Dimension], new SolverContext()));
        Assert.Contains("smaller", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("rate", e.Message, StringComparison.OrdinalIgnoreCase);
    }
}

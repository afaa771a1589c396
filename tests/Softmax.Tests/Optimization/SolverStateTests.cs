using System.Numerics.Tensors;
using Softmax.Engine;
using Softmax.Optimization;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Optimization;

/// <summary>
/// The solver state by name (docs/formats.md, "Solver state"): each solver writes the documented vectors and scalars,
/// and their values are what they claim to be, checked against independent recomputation; L-BFGS counts evaluations,
/// not epochs, in its progress, history and state.
/// </summary>
public class SolverStateTests
{
    private static readonly Softmax.Data.Dataset Data = Separable(400, 12, 4, seed: 11);

    /// <summary>float64 arithmetic, so F and ∇F recomputed here equal the solver's bit for bit.</summary>
    private static SoftmaxObjective Objective() => new(new CpuSoftmaxLoss(Data, new CpuEngineOptions(1)), 1e-3);

    private static SolverContext Float64(Action<SolverState> checkpoint, IProgress<TrainingProgress>? progress = null) =>
        new() { Checkpoint = checkpoint, Precision = Precision.Float64, Progress = progress };

    private sealed class Sync<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }

    [Fact]
    public void Lbfgs_state_names_its_history_and_holds_the_iterate_gradient_and_curvature_pairs()
    {
        const int m = 3;
        var states = new List<SolverState>();
        var solver = new LbfgsSolver(new LbfgsOptions { History = m, MaxIterations = 8, Precondition = false });
        var result = solver.Minimize(Objective(), new double[Objective().Dimension], Float64(states.Add));
        var state = states[^1];
        var names = new[] { "theta", "gradient", "rho", "recent_f" }.Concat(Enumerable.Range(0, m).SelectMany(i => new[] { $"s{i}", $"y{i}" }));
        Assert.Equal(names.Order(StringComparer.Ordinal), state.Vectors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "arithmetic", "best_gradient", "f", "head", "since_best_gradient", "stored", "window_start" }, state.Scalars.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, state.Epoch);
        Assert.Equal(result.Evaluations, state.Evaluations);
        Assert.True(state.Evaluations > state.Iteration, $"{state.Evaluations} evaluations for {state.Iteration} iterations");

        // F and ∇F at the stored iterate, recomputed (unpreconditioned: the iterate is θ).
        var grad = new double[state.Parameters.Length];
        var objective = Objective();
        Assert.True(objective.Loss.TrySetArithmetic(Precision.Float64));
        double f = objective.ValueAndGradient(state.Parameters, grad);
        Assert.Equal(f, state.Scalar("f"));
        Assert.Equal(grad, state.Vector("gradient"));
        Assert.Equal(result.Theta, state.Parameters);
        Assert.Equal((double)Precision.Float64, state.Scalar("arithmetic"));

        // Every stored pair: ρ_i = 1 / (s_iᵀ y_i), and all m slots are full after 8 iterations.
        Assert.Equal(m, state.Scalar("stored"));
        for (int i = 0; i < m; i++)
        {
            double sy = TensorPrimitives.Dot<double>(state.Vector($"s{i}"), state.Vector($"y{i}"));
            Assert.True(sy > 0);
            Assert.Equal(1 / sy, state.Vector("rho")[i], 1e-12 * (1 / sy));
        }
        // The newest pair (slot head − 1) is the last step: s = θ_k − θ_{k−1}, formed in float64 and kept in float32.
        var previous = states[^2].Parameters;
        int newest = ((int)state.Scalar("head") - 1 + m) % m;
        Assert.Equal(state.Parameters.Zip(previous, (a, b) => (double)(float)(a - b)), state.Vector($"s{newest}"));
    }

    [Fact]
    public void Lbfgs_progress_and_history_count_evaluations_not_epochs()
    {
        var reports = new List<TrainingProgress>();
        var result = new LbfgsSolver(new LbfgsOptions { MaxIterations = 6, Precondition = false })
            .Minimize(Objective(), new double[Objective().Dimension], Float64(_ => { }, new Sync<TrainingProgress>(reports.Add)));
        Assert.All(reports, p => Assert.Equal(0, p.Epoch));
        Assert.All(result.History, h => Assert.Equal(0, h.Epoch));
        Assert.Equal(reports.Select(p => p.Evaluations), result.History.Select(h => h.Evaluations));
        Assert.Equal(result.Evaluations, reports[^1].Evaluations);
        // The first iteration costs the start's evaluation and at least one line-search trial; counts never fall.
        Assert.True(reports[0].Evaluations >= 2);
        Assert.All(reports.Zip(reports.Skip(1)), p => Assert.True(p.Second.Evaluations > p.First.Evaluations));
    }

    public static TheoryData<string, string[]> MiniBatch() => new()
    {
        { "sgd-momentum", ["theta", "velocity"] },
        { "sgd-nesterov", ["theta", "velocity"] },
        { "adam", ["first_moment", "second_moment", "theta"] },
    };

    private static MiniBatchSolver Make(string name)
    {
        var options = new MiniBatchOptions { LearningRate = 0.05, BatchSize = 50, Epochs = 4, Seed = 2 };
        return name == "adam" ? new MiniBatchSolver(new AdamRule(), options) : new MiniBatchSolver(new SgdRule(0.9, nesterov: name == "sgd-nesterov"), options);
    }

    [Theory]
    [MemberData(nameof(MiniBatch))]
    public void Mini_batch_state_names_theta_and_the_rule_vectors_and_counts_epochs_and_evaluations(string name, string[] vectors)
    {
        var states = new List<SolverState>();
        var result = Make(name).Minimize(Objective(), new double[Objective().Dimension], Float64(states.Add));
        Assert.Equal(vectors, states[^1].Vectors.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(states[^1].Scalars);
        Assert.Equal([1, 2, 3, 4], states.Select(s => s.Epoch));
        // 400 rows in batches of 50: 8 steps an epoch, one batch evaluation each.
        Assert.Equal([8, 16, 24, 32], states.Select(s => s.Evaluations));
        Assert.Equal(states.Select(s => s.Iteration), states.Select(s => s.Evaluations));
        Assert.Equal(result.Theta, states[^1].Parameters);
        Assert.All(states[^1].Vectors.Values, v => Assert.Equal(Objective().Dimension, v.Length));
        if (name == "adam")
        {
            // v is an average of squared gradients: non-negative; m is not all zero after 32 steps.
            Assert.All(states[^1].Vector("second_moment"), v => Assert.True(v >= 0));
            Assert.Contains(states[^1].Vector("first_moment"), v => v != 0);
        }
        else
        {
            // Heavy ball: θ_k − θ_{k−1} = v_k at every step, so over the last epoch's checkpoint the velocity is non-zero.
            Assert.Contains(states[^1].Vector("velocity"), v => v != 0);
        }
    }

    [Fact]
    public void Sgd_momentum_velocity_is_the_last_step()
    {
        // One epoch of one batch (all rows): the velocity after it is exactly θ_1 − θ_0 for heavy-ball momentum.
        var states = new List<SolverState>();
        var solver = new MiniBatchSolver(new SgdRule(0.9), new MiniBatchOptions { LearningRate = 0.1, BatchSize = 400, Epochs = 3, Seed = 2 });
        solver.Minimize(Objective(), new double[Objective().Dimension], Float64(states.Add));
        var step = states[2].Parameters.Zip(states[1].Parameters, (a, b) => a - b).ToArray();
        var velocity = states[2].Vector("velocity");
        for (int i = 0; i < step.Length; i++) Assert.Equal(velocity[i], step[i], 1e-14 + 1e-12 * Math.Abs(velocity[i]));
    }

    [Fact]
    public void A_state_from_another_history_size_or_missing_a_vector_is_refused_by_name()
    {
        var states = new List<SolverState>();
        new LbfgsSolver(new LbfgsOptions { History = 3, MaxIterations = 4, Precondition = false })
            .Minimize(Objective(), new double[Objective().Dimension], Float64(states.Add));
        var other = new LbfgsSolver(new LbfgsOptions { History = 5, MaxIterations = 8, Precondition = false });
        var e = Assert.Throws<ArgumentException>(() => other.Minimize(Objective(), new double[Objective().Dimension], new SolverContext { ResumeFrom = states[^1] }));
        Assert.Contains("history size 5", e.Message);

        var vectors = new Dictionary<string, double[]>(states[^1].Vectors);
        vectors.Remove("rho");
        var same = new LbfgsSolver(new LbfgsOptions { History = 3, MaxIterations = 8, Precondition = false });
        e = Assert.Throws<ArgumentException>(() => same.Minimize(Objective(), new double[Objective().Dimension], new SolverContext { ResumeFrom = states[^1] with { Vectors = vectors } }));
        Assert.Contains("no vector 'rho'", e.Message);

        var sgd = new List<SolverState>();
        Make("sgd-momentum").Minimize(Objective(), new double[Objective().Dimension], Float64(sgd.Add));
        e = Assert.Throws<ArgumentException>(() => Make("adam").Minimize(Objective(), new double[Objective().Dimension], new SolverContext { ResumeFrom = sgd[0] with { Solver = "adam" } }));
        Assert.Contains("no vector 'first_moment'", e.Message);
    }
}

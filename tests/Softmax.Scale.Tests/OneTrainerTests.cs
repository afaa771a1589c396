using Softmax.Data;
using Softmax.Distributed;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;
using Xunit.Abstractions;

namespace Softmax.Scale.Tests;

/// <summary>
/// Every data view through the one trainer: streamed and sharded runs (two in-process ranks over a
/// <see cref="ThreadedAllReduce"/>) with validation and early stopping, checkpoints and resume, balanced class
/// weights and standardize, against the uninterrupted run and the in-memory run.
/// </summary>
public sealed class OneTrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _temp = new("one-trainer");

    private string Dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    /// <summary>Few rows, many features: SGD without L2 overfits, so the validation loss turns and stops it.</summary>
    private (string Path, Dataset Train, Dataset Validation) Overfitting(string name)
    {
        var data = TestData.Bytes(700, 60, 4, seed: 21);
        var (train, validation) = data.Split(0.25, seed: 3);
        string path = Path.Combine(Dir, name + ".smxp");
        PackedDataset.Pack(train, path, new PackOptions(ChunkBytes: 3000));
        return (path, train, validation);
    }

    private static TrainingOptions Sgd(PreprocessKind? preprocess = null) => new()
    {
        Solver = SolverKind.Sgd, Momentum = 0.9, L2 = 0, BalancedClassWeights = true, Preprocess = preprocess,
        Patience = 2, ValidationFraction = 0.25, Seed = 3, Engine = new CpuEngineOptions(1),
        MiniBatch = new MiniBatchOptions { Epochs = 60, BatchSize = 16, LearningRate = 0.2, Seed = 5 },
    };

    private static TrainingResult Shard(string path, int rank, int ranks, IAllReduce allReduce, TrainingOptions options, TrainingHooks hooks,
        int averageEvery = 0, int slices = 1)
    {
        using var file = PackedDataset.Open(path);
        var shard = ShardPlan.RowRange(path, file.Rows, rank, ranks);
        return SoftmaxTrainer.FitView(new ShardView(file, shard, allReduce, averageEvery, slices), options, hooks);
    }

    private static TrainingResult Streamed(string path, int rank, int ranks, IAllReduce? allReduce, TrainingOptions options, TrainingHooks hooks)
    {
        using var file = PackedDataset.Open(path);
        var shard = ShardPlan.RowRange(path, file.Rows, rank, ranks);
        var stream = new StreamingOptions(BlockBytes: 3000) { RowStart = shard.RowStart, RowCount = shard.RowCount };
        return SoftmaxTrainer.FitView(new StreamedView(file, stream, allReduce, shard.GlobalOffset, shard.TotalRows), options, hooks);
    }

    [Theory]
    [InlineData(SolverKind.Sgd, 0)]
    [InlineData(SolverKind.Adam, 0)]
    [InlineData(SolverKind.Sgd, 3)]
    public void Two_ranks_with_validation_stop_early_alike_and_resume_from_a_rank_0_checkpoint_bit_identically(SolverKind kind, int averageEvery)
    {
        var (path, _, validation) = Overfitting("ranks");
        var options = Sgd() with { Solver = kind };
        if (kind == SolverKind.Adam) options = options with { MiniBatch = options.MiniBatch with { LearningRate = 0.05 } };
        var states = new List<SolverState>();
        var whole = new ThreadedAllReduce(2).Run((r, ar) => Shard(path, r, 2, ar, options,
            new TrainingHooks { Validation = validation, Checkpoint = r == 0 ? states.Add : null, CheckpointEvery = 2 }, averageEvery));
        output.WriteLine($"{kind} K={averageEvery}: {whole[0].Solver.Reason} after {whole[0].Solver.Epochs} epochs, F {whole[0].Objective:R}, {states.Count} checkpoints");
        Assert.Equal(StopReason.EarlyStopping, whole[0].Solver.Reason);
        Assert.Equal(whole[0].Model.Parameters, whole[1].Model.Parameters);
        Assert.True(whole[0].Solver.History.All(h => h.ValidationLoss is not null), "every epoch was validated");
        Assert.True(states.Count >= 2);

        // Both ranks continue from the state rank 0 wrote after epoch 2: the same weights, epochs and stop as without the break.
        var resumed = new ThreadedAllReduce(2).Run((r, ar) => Shard(path, r, 2, ar, options,
            new TrainingHooks { Validation = validation, ResumeFrom = states[0] }, averageEvery));
        Assert.NotEqual(states[0].Parameters, whole[0].Model.Parameters);
        foreach (var run in resumed)
        {
            Assert.Equal(whole[0].Model.Parameters, run.Model.Parameters);
            Assert.Equal(whole[0].Solver.Epochs, run.Solver.Epochs);
            Assert.Equal(whole[0].Solver.Reason, run.Solver.Reason);
            Assert.Equal(whole[0].Objective, run.Objective);
            Assert.Equal(whole[0].Solver.History.Select(h => h.ValidationLoss), run.Solver.History.Select(h => h.ValidationLoss));
        }
        if (averageEvery > 0) return;
        // The synchronous run is one process's run over the same rows held as the two ranks' slices, bit for bit.
        var sliced = new ThreadedAllReduce(1).Run((r, ar) => Shard(path, 0, 1, ar, options, new TrainingHooks { Validation = validation }, slices: 2))[0];
        Assert.Equal(whole[0].Model.Parameters, sliced.Model.Parameters);
        Assert.Equal(whole[0].Solver.History.Select(h => h.ValidationAccuracy), sliced.Solver.History.Select(h => h.ValidationAccuracy));
        Assert.Equal(whole[0].Model.Training.Settings["class_weight"], sliced.Model.Training.Settings["class_weight"]);
    }

    [Fact]
    public void Streamed_sgd_with_validation_standardize_and_balanced_weights_resumes_from_a_checkpoint_bit_identically()
    {
        var (path, _, validation) = Overfitting("stream");
        var options = Sgd(PreprocessKind.Standardize);
        options = options with { MiniBatch = options.MiniBatch with { LearningRate = 0.01 } };   // standardized features take smaller steps
        var states = new List<SolverState>();
        var whole = Streamed(path, 0, 1, null, options, new TrainingHooks { Validation = validation, Checkpoint = states.Add, CheckpointEvery = 2 });
        output.WriteLine($"streamed: {whole.Solver.Reason} after {whole.Solver.Epochs} epochs, F {whole.Objective:R}");
        Assert.Equal(StopReason.EarlyStopping, whole.Solver.Reason);
        Assert.Equal("Standardize", whole.Model.Training.Settings["preprocess"]);
        Assert.Equal(PreprocessKind.Standardize, whole.Model.Preprocessor.Kind);
        var resumed = Streamed(path, 0, 1, null, options, new TrainingHooks { Validation = validation, ResumeFrom = states[0] });
        Assert.Equal(whole.Model.Parameters, resumed.Model.Parameters);
        Assert.Equal(whole.Solver.Epochs, resumed.Solver.Epochs);
        Assert.Equal(whole.Objective, resumed.Objective);
    }

    /// <summary>
    /// L-BFGS to the float64 optimum (auto precision runs float64 on a problem this small): the in-memory run over the
    /// training split, the streamed run and two ranks each streaming half agree on F to 1e-9 relative. Not bit for bit:
    /// the sums (preprocessing moments, loss, gradient) are associated by block and by rank instead of by thread.
    /// </summary>
    [Theory]
    [InlineData(PreprocessKind.Standardize)]
    [InlineData(PreprocessKind.Center)]
    public void Lbfgs_with_standardize_balanced_weights_and_validation_reaches_the_in_memory_F_streamed_and_over_ranks(PreprocessKind kind)
    {
        var data = TestData.Bytes(900, 30, 4, seed: 17);
        var options = new TrainingOptions
        {
            Preprocess = kind, BalancedClassWeights = true, L2 = 1e-2, ValidationFraction = 0.2, Patience = 50, Seed = 9,
            Engine = new CpuEngineOptions(1), Lbfgs = new LbfgsOptions { GradientTolerance = 1e-11, MaxIterations = 500 },
        };
        var memory = SoftmaxTrainer.Fit(data, options);
        var (train, validation) = data.Split(options.ValidationFraction, options.Seed);
        string path = Path.Combine(Dir, "lbfgs.smxp");
        PackedDataset.Pack(train, path, new PackOptions(ChunkBytes: 3000));
        var hooks = new TrainingHooks { Validation = validation };
        var streamed = Streamed(path, 0, 1, null, options, hooks);
        var ranks = new ThreadedAllReduce(2).Run((r, ar) => Streamed(path, r, 2, ar, options, hooks));
        Assert.Equal(ranks[0].Model.Parameters, ranks[1].Model.Parameters);
        var memoryFit = memory.Model.Preprocessor;
        Assert.Equal(memoryFit.Mean, streamed.Model.Preprocessor.Mean);   // one pass in the same order: bit for bit
        Assert.Equal(memoryFit.InverseStd, streamed.Model.Preprocessor.InverseStd);
        for (int j = 0; j < memoryFit.Mean!.Length; j++)
            Assert.True(Math.Abs(memoryFit.Mean[j] - ranks[0].Model.Preprocessor.Mean![j]) <= 1e-6f * Math.Abs(memoryFit.Mean[j]), $"mean {j}");
        foreach (var (name, run) in new[] { ("streamed", streamed), ("2 ranks", ranks[0]) })
        {
            double gap = TestData.RelativeDifference(memory.Objective, run.Objective);
            output.WriteLine($"{kind} {name}: {run.Solver.Reason} after {run.Solver.Iterations} iterations, F {run.Objective:R}, in memory {memory.Objective:R} (gap {gap:E2})");
            Assert.Equal(StopReason.Converged, run.Solver.Reason);
            Assert.True(gap <= 1e-9, $"{name}: F {run.Objective:R} vs in memory {memory.Objective:R} (gap {gap:E2})");
            Assert.Equal(memory.Model.Training.Rows, run.Model.Training.Rows);
            Assert.Contains(run.Solver.History, h => h.ValidationAccuracy is not null);
        }
        Assert.Equal(StopReason.Converged, memory.Solver.Reason);
    }

    [Fact]
    public void Streamed_lbfgs_resumed_with_validation_is_bit_identical_and_a_validation_fraction_without_rows_is_refused()
    {
        var (path, _, validation) = Overfitting("lbfgs-resume");
        var options = new TrainingOptions
        {
            L2 = 0, Patience = 1, Seed = 3, Engine = new CpuEngineOptions(1), Precision = Precision.Float32,
            Lbfgs = new LbfgsOptions { MaxIterations = 300, RelativeTolerance = 1e-14 },
        };
        var states = new List<SolverState>();
        var hooks = new TrainingHooks { Validation = validation };
        var whole = Streamed(path, 0, 1, null, options, hooks with { Checkpoint = states.Add, CheckpointEvery = 3 });
        Assert.Equal(StopReason.EarlyStopping, whole.Solver.Reason);
        var resumed = Streamed(path, 0, 1, null, options, hooks with { ResumeFrom = states[1] });
        Assert.Equal(whole.Model.Parameters, resumed.Model.Parameters);
        Assert.Equal(whole.Solver.Iterations, resumed.Solver.Iterations);
        using var file = PackedDataset.Open(path);
        var e = Assert.Throws<NotSupportedException>(() => SoftmaxTrainer.FitView(new StreamedView(file), options with { ValidationFraction = 0.2 }));
        Assert.Contains("validation rows", e.Message);
    }
}

using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Scale.Tests;

public sealed class StreamingLossTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _temp = new("stream");

    public void Dispose() => _temp.Dispose();

    private static double[] RandomTheta(int classes, int features, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, classes * features + classes).Select(_ => rng.NextDouble() * 0.02 - 0.01).ToArray();
    }

    public static TheoryData<bool, bool, bool, int, int> Cases => new()
    {
        // dense, weights, class weights, threads, block bytes
        { false, false, false, 1, 3000 },
        { false, false, false, 2, 7000 },
        { true, false, false, 2, 20000 },
        { false, true, true, 2, 5000 },
        { true, true, false, 1, 100000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streamed_sums_equal_the_in_memory_engine_in_the_same_block_order_bit_for_bit(bool dense, bool weights, bool classWeights, int threads, int blockBytes)
    {
        var bytes = TestData.Bytes(1037, 50, 5, seed: 7, weights);
        var data = dense ? TestData.Dense(bytes, 1 / 255f) : bytes;
        string path = Path.Combine(_temp.Path, "s.smxp");
        PackedDataset.Pack(data, path, new PackOptions(ChunkBytes: 1000));
        using var file = PackedDataset.Open(path);
        var engine = new CpuEngineOptions(threads, ClassWeights: classWeights ? [1, 2, 0.5, 1, 3] : null);
        var pre = new Preprocessor(dense ? PreprocessKind.None : PreprocessKind.Scale, dense ? 1f : 1 / 255f);
        var options = new StreamingOptions(blockBytes, engine, pre);
        var streamed = new StreamingSoftmaxLoss(file, options);
        Assert.True(streamed.Blocks.BlockCount > 1);
        var memory = new CpuSoftmaxLoss(pre.Apply(data), engine);
        var ordered = new BlockOrderedLoss(memory, streamed.Blocks.BlockRows);
        var theta = RandomTheta(5, 50, 1);
        foreach (var rows in new[] { RowSet.Range(0, 1037), RowSet.Range(13, 700), RowSet.Range(1000, 37) })
        {
            var g1 = new double[theta.Length];
            var g2 = new double[theta.Length];
            var g3 = new double[theta.Length];
            var s1 = streamed.Accumulate(theta, g1, rows);
            var s2 = ordered.Accumulate(theta, g2, rows);
            var s3 = memory.Accumulate(theta, g3, rows);
            Assert.Equal(s2, s1);
            Assert.Equal(g2, g1);
            Assert.Equal(ordered.Value(theta, rows), streamed.Value(theta, rows));
            // Against the plain in-memory engine the rows fall into other kernel sub-blocks, whose (P − Y)ᵀX partial
            // sums are float32: agreement is to float32 rounding.
            Assert.True(TestData.RelativeDifference(s3.Loss, s1.Loss) < 1e-9, $"loss {s1.Loss:R} vs {s3.Loss:R}");
            double scale = g3.Max(Math.Abs);
            for (int i = 0; i < g1.Length; i++) Assert.True(Math.Abs(g1[i] - g3[i]) <= 1e-5 * scale, $"g[{i}] {g1[i]:R} vs {g3[i]:R}");
        }
    }

    [Fact]
    public void Streamed_moments_are_bit_identical_to_FeatureMoments_Compute_in_memory()
    {
        var data = TestData.Bytes(20000, 40, 3, seed: 11);
        string path = Path.Combine(_temp.Path, "m.smxp");
        PackedDataset.Pack(data, path, new PackOptions(ChunkBytes: 4000));
        using var file = PackedDataset.Open(path);
        var pre = new Preprocessor(PreprocessKind.Scale, 1 / 255f);
        var blocks = new BlockStream(file, new StreamingOptions(50000, Preprocessor: pre));
        var streamed = StreamedMoments.Compute(blocks);
        var memory = FeatureMoments.Compute(pre.Apply(data).Features);
        Assert.Equal(memory.Mean, streamed.Mean);
        Assert.Equal(memory.Variance, streamed.Variance);
        Assert.Equal(memory.Covariance, streamed.Covariance);
    }

    /// <summary>
    /// Without the same block order, exact agreement is not available from any engine: the CPU kernels sum (P − Y)ᵀX per
    /// sub-block in float32, so a different row partition (another block size, or simply another thread count in
    /// memory) moves the gradient by ~1e-7 relative and L-BFGS stalls at a slightly different point. The streamed run
    /// must agree with the in-memory run as closely as the in-memory engine agrees with itself at another thread count.
    /// </summary>
    /// <summary>
    /// With float64 arithmetic (auto precision on a small problem) the streamed run is no longer limited by float32
    /// noise: it converges on the gradient test and lands on the in-memory optimum to float64 rounding.
    /// </summary>
    [Fact]
    public void Streamed_lbfgs_with_auto_precision_converges_to_the_in_memory_float64_optimum()
    {
        var digits = NamedDatasets.LoadDigits();
        string path = Path.Combine(_temp.Path, "digits-exact.smxp");
        PackedDataset.Pack(digits, path, new PackOptions(ChunkBytes: 4096));
        var options = new TrainingOptions { L2 = 1e-2, Engine = new CpuEngineOptions(2), Lbfgs = new LbfgsOptions { GradientTolerance = 1e-11 } };
        var memory = SoftmaxTrainer.Fit(digits, options);
        using var file = PackedDataset.Open(path);
        var streamed = SoftmaxTrainer.FitView(new StreamedView(file, new StreamingOptions(BlockBytes: 16 * 1024)), options);
        Assert.Equal(StopReason.Converged, memory.Solver.Reason);
        Assert.Equal(StopReason.Converged, streamed.Solver.Reason);
        double gap = TestData.RelativeDifference(memory.Objective, streamed.Objective);
        Assert.True(gap <= 1e-12, $"in memory {memory.Objective:R}, streamed {streamed.Objective:R} (gap {gap:E2})");
    }

    [Fact]
    public void Streamed_lbfgs_reaches_the_in_memory_optimum_of_digits_as_closely_as_another_thread_count()
    {
        var digits = NamedDatasets.LoadDigits();
        string path = Path.Combine(_temp.Path, "digits.smxp");
        PackedDataset.Pack(digits, path, new PackOptions(ChunkBytes: 4096));
        var options = new TrainingOptions { L2 = 1e-2, Engine = new CpuEngineOptions(2), Lbfgs = new LbfgsOptions { RelativeTolerance = 1e-14 } };
        var memory = SoftmaxTrainer.Fit(digits, options);
        var memory1 = SoftmaxTrainer.Fit(digits, options with { Engine = new CpuEngineOptions(1) });
        using var file = PackedDataset.Open(path);
        var streamed = SoftmaxTrainer.FitView(new StreamedView(file, new StreamingOptions(BlockBytes: 16 * 1024)), options);
        Assert.True(int.Parse(streamed.Model.Training.Settings["stream_block_rows"]) < digits.Rows / 4);
        double streamedGap = TestData.RelativeDifference(memory.Objective, streamed.Objective);
        double threadGap = TestData.RelativeDifference(memory.Objective, memory1.Objective);
        Assert.True(streamedGap < 1e-6 && streamedGap <= 10 * Math.Max(threadGap, 1e-9),
            $"in memory {memory.Objective:R}, 1 thread {memory1.Objective:R} (gap {threadGap:E2}), streamed {streamed.Objective:R} (gap {streamedGap:E2})");
    }

    [Fact]
    public void A_packed_file_keeps_the_declared_range_and_streamed_training_scales_by_it_as_in_memory()
    {
        var digits = NamedDatasets.LoadDigits();
        string path = Path.Combine(_temp.Path, "digits-range.smxp");
        PackedDataset.Pack(digits, path, new PackOptions(ChunkBytes: 4096));
        using var file = PackedDataset.Open(path);
        Assert.Equal(16f, file.Header.Image!.MaxValue);
        var options = new TrainingOptions();
        var streamed = SoftmaxTrainer.FitPreprocessor(new StreamedView(file), options);
        var memory = SoftmaxTrainer.FitPreprocessor(digits, options);
        Assert.Equal(PreprocessKind.Scale, streamed.Kind);
        Assert.Equal(1f / 16, streamed.Scale);
        Assert.Equal(memory.Scale, streamed.Scale);
        Assert.Equal(16f, file.Load().Image!.MaxValue);
    }

    [Fact]
    public void Streamed_sgd_order_is_reproducible_from_the_seed_and_visits_every_block()
    {
        var data = TestData.Bytes(3000, 30, 4, seed: 5);
        string path = Path.Combine(_temp.Path, "sgd.smxp");
        PackedDataset.Pack(data, path, new PackOptions(ChunkBytes: 3000));
        using var file = PackedDataset.Open(path);
        SolverResult Train(int seed)
        {
            var loss = new StreamingSoftmaxLoss(file, new StreamingOptions(9000, new CpuEngineOptions(2), new Preprocessor(PreprocessKind.Scale, 1 / 255f)));
            var solver = new MiniBatchSolver(new AdamRule(), new MiniBatchOptions { Epochs = 3, BatchSize = 64, LearningRate = 0.01, Seed = seed }, new BlockBatchPlan(loss.Blocks));
            return solver.Minimize(new SoftmaxObjective(loss, 1e-4), new double[4 * 30 + 4], new SolverContext());
        }
        var a = Train(1);
        var b = Train(1);
        var c = Train(2);
        Assert.Equal(a.Theta, b.Theta);
        Assert.NotEqual(a.Theta, c.Theta);
        Assert.True(a.History[^1].Loss < a.History[0].Loss);
        var options = new MiniBatchOptions { Seed = 1 };
        var order = BlockBatchPlan.BlockOrder(options, 10, 0);
        Assert.Equal(Enumerable.Range(0, 10), order.Order());
        Assert.NotEqual(order, BlockBatchPlan.BlockOrder(options, 10, 1));
    }

    [Theory]
    [InlineData(SolverKind.Sgd)]
    [InlineData(SolverKind.Adam)]
    public void Streamed_minibatch_training_resumed_from_a_checkpoint_is_bit_identical(SolverKind kind)
    {
        var data = TestData.Bytes(2000, 24, 4, seed: 8);
        string path = Path.Combine(_temp.Path, "resume.smxp");
        PackedDataset.Pack(data, path, new PackOptions(ChunkBytes: 4000));
        using var file = PackedDataset.Open(path);
        var options = new TrainingOptions
        {
            Solver = kind, Momentum = kind == SolverKind.Sgd ? 0.9 : 0, L2 = 1e-3, Engine = new CpuEngineOptions(2),
            MiniBatch = new MiniBatchOptions { Epochs = 5, BatchSize = 50, LearningRate = kind == SolverKind.Sgd ? 0.05 : 0.01, Seed = 4 },
        };
        var stream = new StreamingOptions(BlockBytes: 6000);
        var states = new List<SolverState>();
        var whole = SoftmaxTrainer.FitView(new StreamedView(file, stream), options, new TrainingHooks { Checkpoint = states.Add, CheckpointEvery = 2 });
        Assert.Equal([2, 4], states.Select(s => s.Epoch));
        Assert.Equal(1 + (kind == SolverKind.Adam ? 2 : 1), states[0].Vectors.Count);
        var resumed = SoftmaxTrainer.FitView(new StreamedView(file, stream), options, new TrainingHooks { ResumeFrom = states[0] });
        Assert.Equal(whole.Model.Parameters, resumed.Model.Parameters);
        Assert.Equal(whole.Solver.History.Select(h => h.Loss), resumed.Solver.History.Select(h => h.Loss));
        Assert.Equal(whole.Objective, resumed.Objective);
        // The checkpoint is not a no-op: the epoch-2 weights differ from the final ones, and resuming continues from them.
        Assert.NotEqual(states[0].Parameters, whole.Model.Parameters);
        Assert.Equal(whole.Solver.Iterations, resumed.Solver.Iterations);
    }

    [Theory]
    [InlineData(PreprocessKind.Center)]
    [InlineData(PreprocessKind.Standardize)]
    public void Streamed_center_and_standardize_are_fitted_as_in_memory_and_train_to_the_in_memory_F(PreprocessKind kind)
    {
        var data = TestData.Bytes(3000, 20, 3, seed: 12);
        string path = Path.Combine(_temp.Path, "standardize.smxp");
        PackedDataset.Pack(data, path, new PackOptions(ChunkBytes: 5000));
        using var file = PackedDataset.Open(path);
        var options = new TrainingOptions { Preprocess = kind, L2 = 1e-2, Engine = new CpuEngineOptions(2), Lbfgs = new LbfgsOptions { RelativeTolerance = 1e-13 } };
        var stream = new StreamingOptions(BlockBytes: 7000);
        // The fit: one streamed pass in blocks, the same sums in the same order as over the loaded rows.
        var streamedFit = SoftmaxTrainer.FitPreprocessor(new StreamedView(file, stream), options);
        var memoryFit = SoftmaxTrainer.FitPreprocessor(file.Load(), options);
        Assert.Equal(kind, streamedFit.Kind);
        Assert.Equal(memoryFit.Scale, streamedFit.Scale);
        Assert.Equal(memoryFit.Mean, streamedFit.Mean);
        Assert.Equal(memoryFit.InverseStd, streamedFit.InverseStd);
        Assert.Contains(memoryFit.Mean!, m => m > 0.1f);   // 1/255 scale applied, not raw bytes
        // Training: L-BFGS over the stream (more than one block) reaches the in-memory optimum of the same problem.
        var memory = SoftmaxTrainer.Fit(file.Load(), options);
        var streamed = SoftmaxTrainer.FitView(new StreamedView(file, stream), options);
        Assert.True(int.Parse(streamed.Model.Training.Settings["stream_block_rows"]) < 3000 / 4);
        Assert.Equal(kind.ToString(), streamed.Model.Training.Settings["preprocess"]);
        double gap = TestData.RelativeDifference(memory.Objective, streamed.Objective);
        Assert.True(gap < 1e-9, $"in memory {memory.Objective:R}, streamed {streamed.Objective:R} (gap {gap:E2})");
        // Without a block size given, the default blocks fit the same values (the refusal is gone: every view fits them).
        var defaultFit = SoftmaxTrainer.FitPreprocessor(new StreamedView(file), options);
        Assert.Equal(memoryFit.Mean, defaultFit.Mean);
        Assert.Equal(memoryFit.InverseStd, defaultFit.InverseStd);
    }

    [Fact]
    public void Streamed_training_with_validation_rows_stops_early_as_the_in_memory_split_does()
    {
        var data = TestData.Bytes(600, 60, 4, seed: 21);   // few rows, many features, no L2: it overfits, so validation stops it
        var options = new TrainingOptions
        {
            L2 = 0, Engine = new CpuEngineOptions(2), Seed = 3, ValidationFraction = 0.3, Patience = 1,
            Lbfgs = new LbfgsOptions { MaxIterations = 300, RelativeTolerance = 1e-14 },
        };
        var memory = SoftmaxTrainer.Fit(data, options);
        // The same split, its training rows packed and streamed, its validation rows passed in memory.
        var (train, validation) = data.Split(options.ValidationFraction, options.Seed);
        string path = Path.Combine(_temp.Path, "train.smxp");
        PackedDataset.Pack(train, path, new PackOptions(ChunkBytes: 3000));
        using var file = PackedDataset.Open(path);
        var streamed = SoftmaxTrainer.FitView(new StreamedView(file, new StreamingOptions(BlockBytes: 6000)), options with { ValidationFraction = 0 },
            new TrainingHooks { Validation = validation });
        Assert.Same(validation, streamed.Validation);
        var accuracies = memory.Solver.History.Select(h => h.ValidationAccuracy).Where(a => a is not null).ToArray();
        Assert.True(accuracies.Length >= 2, "validation was scored");
        Assert.Equal(accuracies, streamed.Solver.History.Select(h => h.ValidationAccuracy).Where(a => a is not null));
        Assert.Equal(StopReason.EarlyStopping, memory.Solver.Reason);
        Assert.Equal(memory.Solver.Reason, streamed.Solver.Reason);
        Assert.Equal(memory.Model.Parameters, memory.Solver.Theta);   // the best validated θ is the model
        Assert.Equal(memory.Solver.Iterations, streamed.Solver.Iterations);
        double gap = TestData.RelativeDifference(memory.Objective, streamed.Objective);
        output.WriteLine($"{memory.Solver.Reason} after {memory.Solver.Iterations} iterations, accuracies {string.Join(", ", accuracies)}");
        Assert.True(gap < 1e-9, $"in memory {memory.Objective:R} ({memory.Solver.Reason}), streamed {streamed.Objective:R} (gap {gap:E2})");
    }
}

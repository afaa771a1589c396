using System.Diagnostics;
using System.Globalization;
using Softmax.Engine;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Distributed;

/// <summary>The outcome on one rank.</summary>
/// <param name="Result">The training result (identical weights on every rank).</param>
/// <param name="Shard">The rows this rank trained on.</param>
/// <param name="AllReduce">Allreduce calls and time spent in them.</param>
public sealed record DistributedResult(TrainingResult Result, ShardPlan Shard, MpiAllReduce AllReduce);

/// <summary>
/// <c>mpiexec -n K softmax train --distributed</c>: each rank streams its shard, the loss sums and the preconditioner's
/// moments are allreduced, every rank runs the same L-BFGS (OWL-QN) steps (SGD/Adam: see
/// a <see cref="MiniBatchSolver"/> over a <see cref="ShardBatchPlan"/> or <see cref="AveragingBatchPlan"/>), and rank 0 alone writes the model,
/// atomically (temporary file, then rename), after every rank has finished. An error on any rank aborts the whole job
/// (MPI_Abort), so no rank is left waiting and no model is written.
/// </summary>
public static class DistributedTrainer
{
    /// <summary>Trains on the shard this rank is given and, on rank 0, saves the model to <paramref name="modelPath"/>.</summary>
    public static DistributedResult Fit(MpiRuntime mpi, IReadOnlyList<string> files, TrainingOptions options, string? modelPath,
        StreamingOptions? stream = null, TimeSpan? collectiveTimeout = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Fit(mpi, files, options, modelPath, new DistributedOptions(stream, collectiveTimeout), progress, cancellationToken);

    /// <summary>
    /// Trains on the shard this rank is given and, on rank 0, saves the model to <paramref name="modelPath"/>.
    /// L-BFGS/OWL-QN stream the shard; SGD and Adam hold it in memory and run a <see cref="MiniBatchSolver"/> over a <see cref="ShardBatchPlan"/> or <see cref="AveragingBatchPlan"/>
    /// (synchronous, or local SGD with averaging when <see cref="DistributedOptions.AverageEvery"/> &gt; 0).
    /// </summary>
    public static DistributedResult Fit(MpiRuntime mpi, IReadOnlyList<string> files, TrainingOptions options, string? modelPath,
        DistributedOptions settings, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var stream = settings.Stream;
        ArgumentNullException.ThrowIfNull(mpi);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        if (files.Count == 0) throw new ArgumentException("No data files.", nameof(files));
        if (settings.AverageEvery < 0) throw new ArgumentOutOfRangeException(nameof(settings), "--average-every must be ≥ 0.");
        if (settings.AverageEvery > 0 && options.Solver == SolverKind.Lbfgs)
            throw new NotSupportedException("--average-every is for SGD and Adam (local SGD); L-BFGS always combines every evaluation.");
        using var watchdog = new CollectiveWatchdog(settings.CollectiveTimeout ?? TimeSpan.FromMinutes(10), mpi.Rank);
        var allReduce = new MpiAllReduce(mpi.World, watchdog);
        ShardPlan shard;
        if (files.Count == 1)
        {
            int rows;
            using (var f = PackedDataset.Open(files[0], verifyChunks: false)) rows = f.Rows;
            shard = ShardPlan.RowRange(files[0], rows, mpi.Rank, mpi.Size);
        }
        else shard = ShardPlan.FileShare(files, mpi.Rank, mpi.Size, allReduce);
        using var file = PackedDataset.Open(shard.Path);
        TrainingResult result;
        if (options.Solver == SolverKind.Lbfgs)
        {
            stream = (stream ?? new StreamingOptions()) with { RowStart = shard.RowStart, RowCount = shard.RowCount };
            result = StreamingTrainer.Fit(file, options, stream, allReduce, shard.GlobalOffset, shard.TotalRows, progress, cancellationToken);
        }
        else result = FitMiniBatch(file, shard, options, settings, allReduce, progress, cancellationToken);
        // Every rank reaches this point before the model appears: a rank that failed earlier has aborted the job.
        using (watchdog.Enter("the final barrier")) mpi.World.Barrier();
        if (mpi.Rank == 0 && modelPath is not null) ModelFile.Save(result.Model, modelPath);
        return new DistributedResult(result, shard, allReduce);
    }

    /// <summary>SGD/Adam on this rank's shard, held in memory (uint8 rows stay uint8, scaled on the fly).</summary>
    private static TrainingResult FitMiniBatch(PackedDataset file, ShardPlan shard, TrainingOptions options, DistributedOptions settings,
        MpiAllReduce allReduce, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        if (options.ValidationFraction > 0) throw new NotSupportedException("A validation split is not offered with --distributed; pack the validation rows separately.");
        if (options.WarmStart is not null) throw new NotSupportedException("Warm starts are not offered with --distributed.");
        if (settings.Slices < 1) throw new ArgumentOutOfRangeException(nameof(settings), "Slices must be ≥ 1.");
        var preprocessor = StreamingTrainer.FitPreprocessor(file, options);
        var data = preprocessor.Apply(file.Load(shard.RowStart, shard.RowCount));
        IReadOnlyList<double>? classWeights = options.ClassWeights;
        if (options.BalancedClassWeights)
        {
            var counts = new double[file.Classes + 1];
            foreach (int y in data.Labels) counts[y]++;
            counts[^1] = data.Rows;
            allReduce.SumInPlace(counts);
            var w = new double[file.Classes];
            for (int c = 0; c < w.Length; c++) w[c] = counts[c] == 0 ? 0 : counts[^1] / (file.Classes * counts[c]);
            classWeights = w;
        }
        var engine = (settings.Stream?.Engine ?? options.Engine) with { ClassWeights = classWeights };
        ISoftmaxLoss loss = settings.Slices == 1
            ? new CpuSoftmaxLoss(data, engine)
            : new SlicedLoss(Enumerable.Range(0, settings.Slices).Select(k =>
            {
                var range = ShardPlan.RowRange(file.Path, data.Rows, k, settings.Slices);
                return (ISoftmaxLoss)new CpuSoftmaxLoss(data.Slice(range.RowStart, range.RowCount), engine);
            }).ToArray());
        var objective = new SoftmaxObjective(loss, options.L2, options.L1, allReduce);
        IUpdateRule rule = options.Solver == SolverKind.Adam ? new AdamRule() : new SgdRule(options.Momentum, options.Nesterov);
        var averaging = settings.AverageEvery > 0 ? new AveragingBatchPlan(shard.GlobalOffset, shard.TotalRows, settings.AverageEvery) : null;
        var solver = new MiniBatchSolver(rule, options.MiniBatch, averaging ?? (IBatchPlan)new ShardBatchPlan(shard.GlobalOffset, shard.TotalRows));
        var context = new SolverContext { Progress = progress, CancellationToken = cancellationToken, Precision = options.Precision };
        var clock = Stopwatch.StartNew();
        var solved = solver.Minimize(objective, new double[objective.Dimension], context);
        clock.Stop();
        double value = objective.ExactValue(solved.Theta);
        var info = TrainingInfo.From(solver.Name, options, solved, value, shard.TotalRows, clock.Elapsed, new Dictionary<string, string>
        {
            ["preprocess"] = preprocessor.Kind.ToString(),
            ["threads"] = engine.EffectiveThreads.ToString(CultureInfo.InvariantCulture),
            ["batch"] = options.MiniBatch.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["average_every"] = settings.AverageEvery.ToString(CultureInfo.InvariantCulture),
            ["model_averages"] = (averaging?.Averages ?? 0).ToString(CultureInfo.InvariantCulture),
        });
        var h = file.Header;
        var model = new SoftmaxModel(solved.Theta, h.ClassNames, h.Features, preprocessor, h.Image, info);
        return new TrainingResult(model, solved, value, null, clock.Elapsed);
    }
}

/// <summary>Settings of a distributed run beyond <see cref="TrainingOptions"/>.</summary>
/// <param name="Stream">Block size and engine of the streamed (L-BFGS) path.</param>
/// <param name="CollectiveTimeout">Longest wait inside one collective (default 10 minutes).</param>
/// <param name="AverageEvery">SGD/Adam: 0 for synchronous mini-batches (one allreduce per step); K &gt; 0 for local SGD
/// with θ (and the momentum/Adam buffers) averaged every K steps and at every epoch's end.</param>
/// <param name="Slices">SGD/Adam: hold this rank's rows as this many consecutive slices whose sums are added in order
/// (with 1 rank and K slices: the bit-for-bit single-process reference of a synchronous K-rank run). Default 1.</param>
public sealed record DistributedOptions(StreamingOptions? Stream = null, TimeSpan? CollectiveTimeout = null, int AverageEvery = 0, int Slices = 1);

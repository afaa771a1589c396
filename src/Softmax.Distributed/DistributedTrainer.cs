using Softmax.Data;
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
    /// <summary>
    /// Trains on the shard this rank is given and, on rank 0, saves the model to <paramref name="modelPath"/>.
    /// L-BFGS/OWL-QN stream the shard; SGD and Adam hold it in memory and run a <see cref="MiniBatchSolver"/> over a <see cref="ShardBatchPlan"/> or <see cref="AveragingBatchPlan"/>
    /// (synchronous, or local SGD with averaging when <see cref="DistributedOptions.AverageEvery"/> &gt; 0).
    /// </summary>
    public static DistributedResult Fit(MpiRuntime mpi, IReadOnlyList<string> files, TrainingOptions options, string? modelPath,
        DistributedOptions settings, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(mpi);
        ArgumentNullException.ThrowIfNull(options);
        if (settings.AverageEvery < 0) throw new ArgumentOutOfRangeException(nameof(settings), "--average-every must be ≥ 0.");
        if (settings.AverageEvery > 0 && options.Solver == SolverKind.Lbfgs)
            throw new NotSupportedException("--average-every is for SGD and Adam (local SGD); L-BFGS always combines every evaluation.");
        using var watchdog = new CollectiveWatchdog(settings.CollectiveTimeout ?? TimeSpan.FromMinutes(10), mpi.Rank);
        var allReduce = new MpiAllReduce(mpi.World, watchdog);
        var shard = ShardPlan.For(files, mpi.Rank, mpi.Size, allReduce);
        using var file = PackedDataset.Open(shard.Path);
        var result = SoftmaxTrainer.FitView(View(file, shard, options, settings, allReduce), StreamingTrainer.WithEngine(options, settings.Stream), new TrainingHooks
        {
            Validation = settings.Validation, Progress = progress, CancellationToken = cancellationToken,
            ResumeFrom = settings.ResumeFrom, Checkpoint = mpi.Rank == 0 ? settings.Checkpoint : null, CheckpointEvery = settings.CheckpointEvery,
        });
        // Every rank reaches this point before the model appears: a rank that failed earlier has aborted the job.
        using (watchdog.Enter("the final barrier")) mpi.World.Barrier();
        if (mpi.Rank == 0 && modelPath is not null) ModelFile.Save(result.Model, modelPath);
        return new DistributedResult(result, shard, allReduce);
    }

    /// <summary>L-BFGS streams the shard; SGD and Adam hold it in memory.</summary>
    private static TrainingView View(PackedDataset file, ShardPlan shard, TrainingOptions options, DistributedOptions settings, IAllReduce allReduce)
    {
        if (options.Solver != SolverKind.Lbfgs) return new ShardView(file, shard, allReduce, settings.AverageEvery, settings.Slices);
        var stream = (settings.Stream ?? new StreamingOptions()) with { RowStart = shard.RowStart, RowCount = shard.RowCount };
        return new StreamedView(file, stream, allReduce, shard.GlobalOffset, shard.TotalRows);
    }
}

/// <summary>Settings of a distributed run beyond <see cref="TrainingOptions"/>.</summary>
/// <param name="Stream">Block size and engine of the streamed (L-BFGS) path.</param>
/// <param name="CollectiveTimeout">Longest wait inside one collective (default 10 minutes).</param>
/// <param name="AverageEvery">SGD/Adam: 0 for synchronous mini-batches (one allreduce per step); K &gt; 0 for local SGD
/// with θ (and the momentum/Adam buffers) averaged every K steps and at every epoch's end.</param>
/// <param name="Slices">SGD/Adam: hold this rank's rows as this many consecutive slices whose sums are added in order
/// (with 1 rank and K slices: the bit-for-bit single-process reference of a synchronous K-rank run). Default 1.</param>
public sealed record DistributedOptions(StreamingOptions? Stream = null, TimeSpan? CollectiveTimeout = null, int AverageEvery = 0, int Slices = 1)
{
    /// <summary>Held-out rows (raw, in memory, the same on every rank) scored for early stopping.</summary>
    public Dataset? Validation { get; init; }

    /// <summary>A checkpoint to continue from (the solver state is the same on every rank; every rank reads it).</summary>
    public SolverState? ResumeFrom { get; init; }

    /// <summary>Receives the solver's state on rank 0 every <see cref="CheckpointEvery"/> epochs (L-BFGS: iterations).</summary>
    public Action<SolverState>? Checkpoint { get; init; }

    /// <summary>Every how many epochs (L-BFGS: iterations) <see cref="Checkpoint"/> is called.</summary>
    public int CheckpointEvery { get; init; } = 1;
}

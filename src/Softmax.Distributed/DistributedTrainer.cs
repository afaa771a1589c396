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
/// moments are allreduced, every rank runs the same L-BFGS (OWL-QN) steps, and rank 0 alone writes the model,
/// atomically (temporary file, then rename), after every rank has finished. An error on any rank aborts the whole job
/// (MPI_Abort), so no rank is left waiting and no model is written.
/// </summary>
public static class DistributedTrainer
{
    /// <summary>Trains on the shard this rank is given and, on rank 0, saves the model to <paramref name="modelPath"/>.</summary>
    public static DistributedResult Fit(MpiRuntime mpi, IReadOnlyList<string> files, TrainingOptions options, string? modelPath,
        StreamingOptions? stream = null, TimeSpan? collectiveTimeout = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mpi);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        if (files.Count == 0) throw new ArgumentException("No data files.", nameof(files));
        if (options.Solver != SolverKind.Lbfgs)
            throw new NotSupportedException("--distributed runs L-BFGS/OWL-QN (exact data parallelism); synchronous SGD and local SGD are not offered yet.");
        using var watchdog = new CollectiveWatchdog(collectiveTimeout ?? TimeSpan.FromMinutes(10), mpi.Rank);
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
        stream = (stream ?? new StreamingOptions()) with { RowStart = shard.RowStart, RowCount = shard.RowCount };
        var result = StreamingTrainer.Fit(file, options, stream, allReduce, shard.GlobalOffset, shard.TotalRows, progress, cancellationToken);
        // Every rank reaches this point before the model appears: a rank that failed earlier has aborted the job.
        using (watchdog.Enter("the final barrier")) mpi.World.Barrier();
        if (mpi.Rank == 0 && modelPath is not null) ModelFile.Save(result.Model, modelPath);
        return new DistributedResult(result, shard, allReduce);
    }
}

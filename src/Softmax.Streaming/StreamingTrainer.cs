using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Streaming;

/// <summary>
/// <see cref="SoftmaxTrainer"/> over a packed file that is streamed instead of loaded (<see cref="StreamedView"/>):
/// the same preprocessing rule, class weights, solvers, early stopping, checkpoints and result as in memory. With an
/// <see cref="IAllReduce"/> and a shard range in <see cref="StreamingOptions"/>, every worker trains on its rows and
/// the sums are combined, so all workers take identical steps.
/// </summary>
public static class StreamingTrainer
{
    /// <summary>
    /// Trains on <paramref name="file"/>; <paramref name="totalRows"/> and <paramref name="globalOffset"/> place a
    /// worker's shard in the whole. <paramref name="checkpoint"/> receives the solver's state every
    /// <paramref name="checkpointEvery"/> epochs (L-BFGS: iterations); <paramref name="resumeFrom"/> continues from one,
    /// bit-identically to the uninterrupted run with the same block size and threads. <paramref name="validation"/>
    /// (raw rows in memory, held out of the file) turns on early stopping with <see cref="TrainingOptions.Patience"/>,
    /// scored as <see cref="SoftmaxTrainer.Fit"/> scores its split. <see cref="StreamingOptions.Engine"/>, when given,
    /// replaces <see cref="TrainingOptions.Engine"/>.
    /// </summary>
    public static TrainingResult Fit(PackedDataset file, TrainingOptions options, StreamingOptions? stream = null,
        IAllReduce? allReduce = null, int globalOffset = 0, int? totalRows = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        SolverState? resumeFrom = null, Action<SolverState>? checkpoint = null, int checkpointEvery = 1, Dataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var view = new StreamedView(file, stream, allReduce, globalOffset, totalRows);
        return SoftmaxTrainer.FitView(view, WithEngine(options, stream), new TrainingHooks
        {
            Validation = validation, Progress = progress, CancellationToken = cancellationToken,
            ResumeFrom = resumeFrom, Checkpoint = checkpoint, CheckpointEvery = checkpointEvery,
        });
    }

    /// <summary><paramref name="options"/> with <paramref name="stream"/>'s engine, when it names one.</summary>
    public static TrainingOptions WithEngine(TrainingOptions options, StreamingOptions? stream)
    {
        ArgumentNullException.ThrowIfNull(options);
        return stream?.Engine is { } engine ? options with { Engine = engine } : options;
    }
}

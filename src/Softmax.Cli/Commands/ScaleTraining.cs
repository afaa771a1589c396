using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Distributed;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax train --stream</c> and <c>softmax train --distributed</c>: training over a packed file that is read in
/// row blocks (<see cref="StreamingTrainer"/>), on one process or on every rank of an MPI job
/// (<see cref="DistributedTrainer"/>). Train accuracy is computed block by block, so the rows are never all resident.
/// </summary>
public static class ScaleTraining
{
    /// <summary>Rows scored at a time when measuring train accuracy over a packed file.</summary>
    private const int ScoringRows = 16384;

    /// <summary>
    /// Trains on <paramref name="file"/> in streamed passes, with a progress bar, checkpoints and resume as the plan
    /// says. With a validation fraction the stratified split of the in-memory path is made over the file: the held-out
    /// rows are scored in memory, the training rows are streamed from a packed copy of their own, removed afterwards.
    /// The train accuracy returned counts the streamed training rows only, like the in-memory path's.
    /// </summary>
    public static (TrainingResult Result, double TrainAccuracy) FitStreamed(Ui ui, PackedDataset file, TrainPlan plan, StreamingOptions stream,
        CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(plan);
        var options = plan.Options;
        SolverState? resume = null;
        Action<SolverState>? checkpoint = null;
        if (plan.UsesCheckpoints)
        {
            var checkpoints = plan.ScaledCheckpoints(file, stream, ranks: 1);
            (resume, var curve) = checkpoints.Resume(ui, options.Solver, file.Classes, file.Features);
            checkpoint = checkpoints.Writer(options.Solver, curve);
        }
        (TrainingResult, double) Fit(PackedDataset rows, Dataset? validation)
        {
            ui.Note($"data: {rows.Header.Name ?? rows.Path}: {rows.Rows} training rows" + (validation is null ? "" : $" ({validation.Rows} held out for validation)") +
                    $", {rows.Features} features, {rows.Classes} classes, streamed from {rows.Path} in blocks of {stream.BlockRows(rows.Header)} rows");
            var result = new RunProgress(options) { DelayMs = plan.EpochDelayMs }.Run(ui, "training", progress => StreamingTrainer.Fit(rows, options, stream,
                progress: progress, cancellationToken: token, resumeFrom: resume, checkpoint: checkpoint, validation: validation));
            var (correct, count) = CountCorrect(result.Model, rows);
            return (result, count > 0 ? correct / count : double.NaN);
        }
        if (options.ValidationFraction == 0) return Fit(file, null);
        var (train, holdout) = PackedSplit.Indices(file, options.ValidationFraction, options.Seed);
        string path = $"{file.Path}.train-{Guid.NewGuid():N}.smxp";
        try
        {
            PackedSplit.Pack(file, train, path);
            using var trainFile = PackedDataset.Open(path);
            return Fit(trainFile, PackedSplit.Load(file, holdout));
        }
        finally { File.Delete(path); }
    }

    /// <summary>
    /// With a validation fraction, one rank's part of the stratified split of <paramref name="path"/> (the same split
    /// on every rank): its share of the training rows written to a packed file of its own (the path returned, to
    /// delete afterwards) and the held-out rows, in memory, identical on every rank.
    /// </summary>
    private static (string Path, Dataset Validation) HoldOut(string path, TrainingOptions options, int rank, int ranks)
    {
        using var file = PackedDataset.Open(path);
        var (train, holdout) = PackedSplit.Indices(file, options.ValidationFraction, options.Seed);
        var mine = ShardPlan.RowRange(path, train.Length, rank, ranks);
        string own = $"{path}.train-rank{rank}-{Guid.NewGuid():N}.smxp";
        PackedSplit.Pack(file, new ArraySegment<int>(train, mine.RowStart, mine.RowCount), own);
        return (own, PackedSplit.Load(file, holdout));
    }

    /// <summary>(correct, rows) of <paramref name="model"/> on rows <paramref name="start"/>.. of <paramref name="file"/>, read in blocks.</summary>
    public static (double Correct, double Rows) CountCorrect(SoftmaxModel model, PackedDataset file, int start = 0, int count = -1)
    {
        if (count < 0) count = file.Rows - start;
        double correct = 0;
        for (int offset = 0; offset < count; offset += ScoringRows)
        {
            int n = Math.Min(ScoringRows, count - offset);
            var block = file.Load(start + offset, n);
            var predicted = model.Predict(block);
            for (int i = 0; i < n; i++) if (predicted[i] == block.Labels[i]) correct++;
        }
        return (correct, count);
    }

    /// <summary>
    /// The body of <c>softmax train --distributed</c> on this rank. Rank 0 prints, writes the model (inside
    /// <see cref="DistributedTrainer.Fit"/>, after every rank has finished), the checkpoints and the metrics; the other
    /// ranks write nothing. Every rank reads and checks a checkpoint to resume from. Any error aborts the whole job
    /// (MPI_Abort, exit code 2 for usage and input errors, 1 otherwise) with a message naming the rank.
    /// </summary>
    public static int RunDistributed(Ui ui, TrainPlan plan, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var (trainSource, options) = (plan.TrainSource, plan.Options);
        string[] specs = trainSource.Spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (specs.Length == 0) throw new UsageException("--data is empty.");
        if (specs.Length > 1 && options.ValidationFraction > 0)
            throw new UsageException("--validation-fraction with --distributed splits one --data file; with one file per rank, pack the validation rows separately.");
        MpiRuntime mpi;
        try
        {
            string[] mpiArgs = Environment.GetCommandLineArgs();
            mpi = MpiRuntime.Start(ref mpiArgs);
        }
        catch (DllNotFoundException e)
        {
            throw new UsageException($"--distributed needs MPICH ({e.Message}). Install it with 'apt-get install mpich libmpich-dev' " +
                                     "and run 'mpiexec.mpich -n K softmax train --distributed ...'.");
        }
        using (mpi)
        {
            var rankUi = mpi.Rank == 0 ? ui : new Ui(quiet: true, verbose: ui.Verbose);
            bool trained = false;
            string? splitFile = null;
            try
            {
                var files = ResolveFiles(mpi, trainSource, specs);
                var stream = new StreamingOptions(MemoryBudget.BlockBytesFor(plan.MemoryLimit));
                DistributedOptions settings = new(stream, plan.CollectiveTimeout, plan.AverageEvery);
                if (plan.UsesCheckpoints)
                {
                    using var whole = PackedDataset.Open(files[0], verifyChunks: false);
                    var checkpoints = plan.ScaledCheckpoints(whole, stream, mpi.Size);
                    var (resume, curve) = checkpoints.Resume(rankUi, options.Solver, whole.Classes, whole.Features);
                    settings = settings with { ResumeFrom = resume, Checkpoint = checkpoints.Writer(options.Solver, curve), CheckpointEvery = 1 };
                }
                // A validation split: each rank streams its share of the training rows from a file of its own.
                if (options.ValidationFraction > 0)
                {
                    (splitFile, var validation) = HoldOut(files[0], options, mpi.Rank, mpi.Size);
                    files = Enumerable.Repeat(splitFile, mpi.Size).ToArray();
                    settings = settings with { Validation = validation };
                }
                return TrainOnRank(rankUi, mpi, plan, files, settings, specs, token, () => trained = true);
            }
            catch (Exception e)
            {
                string message = string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                Console.Error.WriteLine($"softmax: rank {mpi.Rank}: {message} Aborting the job" + (trained ? "." : "; no model was written."));
                if (ui.Verbose) Console.Error.WriteLine(e);
                Console.Error.Flush();
                int code = GlobalFlags.IsUsage(e) ? GlobalFlags.UsageError : 1;
                mpi.Abort(code);
                return code;
            }
            finally
            {
                if (splitFile is not null) File.Delete(splitFile);
            }
        }
    }

    /// <summary>
    /// The packed files of the job. One source: rank 0 packs it if needed, the others wait, then each takes its row
    /// range. A list: one file per rank, each rank packs (or opens) only its own.
    /// </summary>
    private static string[] ResolveFiles(MpiRuntime mpi, DataSource trainSource, string[] specs)
    {
        var files = new string[specs.Length];
        bool root = mpi.Rank == 0;
        if (specs.Length == 1)
        {
            var source = trainSource with { Spec = specs[0] };
            if (root) files[0] = PackedSource.Resolve(source, create: true);
            mpi.World.Barrier();
            if (!root) files[0] = PackedSource.Resolve(source, create: false);
            return files;
        }
        if (specs.Length != mpi.Size)
            throw new UsageException($"--data lists {specs.Length} files for {mpi.Size} ranks: give one file per rank, or one file to split by rows.");
        for (int r = 0; r < specs.Length; r++)
            files[r] = r == mpi.Rank ? PackedSource.Resolve(trainSource with { Spec = specs[r] }, create: true) : specs[r];
        return files;
    }

    /// <summary>Trains on this rank's rows, scores the shards and, on rank 0, reports; returns the rank's exit code.</summary>
    private static int TrainOnRank(Ui rankUi, MpiRuntime mpi, TrainPlan plan, string[] files, DistributedOptions settings, string[] specs,
        CancellationToken token, Action trained)
    {
        bool root = mpi.Rank == 0;
        var (testSource, options) = (plan.TestSource, plan.Options);
        var test = root ? testSource?.LoadForEvaluation() ?? (specs.Length == 1 ? (plan.TrainSource with { Spec = specs[0] }).LoadOwnTestSplit() : null) : null;
        if (root) rankUi.Note($"data: {string.Join(", ", files)}: split over {mpi.Size} ranks" + (test is null ? ", no test set" : $"; {test.Rows} test rows"));
        DistributedResult run = null!;
        var result = new RunProgress(options) { DelayMs = plan.EpochDelayMs }.Run(rankUi, "training", progress =>
        {
            run = DistributedTrainer.Fit(mpi, files, options, plan.ModelPath, settings with { Slices = plan.Slices },
                ScaleFlags.WithPidFile(plan.PidDirectory, mpi.Rank, root ? progress : null), token);
            return run.Result;
        });
        trained();
        TrainCommand.CheckTest(result.Model.Features, test, testSource?.Spec ?? specs[0]);
        // Train accuracy: each rank scores its shard; one allreduce adds the counts and gathers each rank's
        // weight hash and allreduce time (the calls of training are counted before it).
        long trainingCalls = run.AllReduce.Calls;
        var gather = new RankGather(mpi.Size, mpi.Rank);
        using (var shard = PackedDataset.Open(run.Shard.Path, verifyChunks: false))
            gather.SetCounts(CountCorrect(result.Model, shard, run.Shard.RowStart, run.Shard.RowCount));
        gather.SetOwn(InfoCommand.WeightsHash(result.Model), run.AllReduce.Elapsed.TotalSeconds);
        run.AllReduce.SumInPlace(gather.Slots);
        if (root)
        {
            var (correct, rows) = gather.Counts;
            var metrics = new ScaleMetrics(mpi.Size, run.Shard.RowCount, trainingCalls, gather.Seconds(), gather.Hashes());
            var trainedRun = new TrainedRun(result, HeaderName(files[0]) ?? specs[0], rows > 0 ? correct / rows : double.NaN) { Test = test, Scale = metrics };
            TrainingReport.Write(rankUi, plan, trainedRun);
            int every = plan.AverageEvery;
            rankUi.Note($"allreduce: {run.AllReduce.Calls} calls, {run.AllReduce.Elapsed.TotalSeconds:F3} s on rank 0; {run.Shard.RowCount} rows per rank 0 shard" +
                        (options.Solver == SolverKind.Lbfgs ? "" : every > 0 ? $"; local SGD, weights averaged every {every} steps" : "; synchronous mini-batches"));
        }
        // Every rank holds the same weights and history, so every rank exits alike; rank 0 alone says why.
        if (root) return GlobalFlags.Health(result);
        return Softmax.Model.TrainingHealth.Diverged(result) is null ? 0 : GlobalFlags.DivergedExit;
    }

    /// <summary>The dataset name recorded in a packed file's header.</summary>
    public static string? HeaderName(string path)
    {
        using var f = PackedDataset.Open(path, verifyChunks: false);
        return f.Header.Name;
    }
}

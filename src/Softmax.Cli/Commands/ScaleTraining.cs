using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Distributed;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax train --stream</c> and <c>softmax train --distributed</c>: <see cref="SoftmaxTrainer.FitView"/> over a
/// packed file that is read in row blocks (<see cref="StreamedView"/>), on one process or on every rank of an MPI job
/// (each rank's shard: <see cref="StreamedView"/> for L-BFGS, <see cref="ShardView"/> for SGD and Adam). Train
/// accuracy is computed block by block, so the rows are never all resident.
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
    public static (TrainingResult Result, double TrainAccuracy) FitStreamed(Ui ui, PackedDataset file, TrainPlan plan, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(plan);
        var (options, stream) = (plan.Options, Stream(plan));
        (TrainingResult, double) Fit(PackedDataset rows, TrainingHooks hooks)
        {
            ui.Note($"data: {rows.Header.Name ?? rows.Path}: {rows.Rows} training rows" + (hooks.Validation is { } v ? $" ({v.Rows} held out for validation)" : "") +
                    $", {rows.Features} features, {rows.Classes} classes, streamed from {rows.Path} in blocks of {stream.BlockRows(rows.Header)} rows");
            var result = new RunProgress(options) { DelayMs = plan.EpochDelayMs }.Run(ui, "training", progress =>
                SoftmaxTrainer.FitView(new StreamedView(rows, stream), options, hooks with { Progress = progress }));
            var (correct, count) = CountCorrect(result.Model, rows, 0, rows.Rows);
            return (result, count > 0 ? correct / count : double.NaN);
        }
        var (hooks, split) = Prepare(ui, plan, file, rank: 0, ranks: 1, token);
        if (split is null) return Fit(file, hooks);
        try
        {
            using var trainFile = PackedDataset.Open(split);
            return Fit(trainFile, hooks);
        }
        finally { File.Delete(split); }
    }

    /// <summary>The blocks of a streamed pass under the plan's memory limit.</summary>
    private static StreamingOptions Stream(TrainPlan plan) => new(MemoryBudget.BlockBytesFor(plan.MemoryLimit));

    /// <summary>
    /// The hooks of a streamed or distributed run over <paramref name="file"/> (the whole --data file): the state to
    /// resume from (every rank reads and checks it), rank 0's checkpoint writer and, with a validation fraction, the
    /// held-out rows of the in-memory path's stratified split (the same on every rank), this rank's share of the
    /// training rows then written to a packed file of its own: the path returned, to delete afterwards.
    /// </summary>
    private static (TrainingHooks Hooks, string? Split) Prepare(Ui ui, TrainPlan plan, PackedDataset file, int rank, int ranks, CancellationToken token)
    {
        var (options, hooks) = (plan.Options, new TrainingHooks { CancellationToken = token });
        if (plan.UsesCheckpoints)
        {
            var checkpoints = plan.ScaledCheckpoints(file, Stream(plan), ranks);
            var (resume, curve) = checkpoints.Resume(ui, options.Solver, file.Classes, file.Features);
            hooks = hooks with { ResumeFrom = resume, Checkpoint = rank == 0 ? checkpoints.Writer(options.Solver, curve) : null };
        }
        if (options.ValidationFraction == 0) return (hooks, null);
        var (train, holdout) = PackedSplit.Indices(file, options.ValidationFraction, options.Seed);
        hooks = hooks with { Validation = PackedSplit.Load(file, holdout) };
        var mine = ShardPlan.RowRange(file.Path, train.Length, rank, ranks);
        string own = $"{file.Path}.train-rank{rank}-{Guid.NewGuid():N}.smxp";
        PackedSplit.Pack(file, new ArraySegment<int>(train, mine.RowStart, mine.RowCount), own);
        return (hooks, own);
    }

    /// <summary>(correct, rows) of <paramref name="model"/> on rows <paramref name="start"/>.. of <paramref name="file"/>, read in blocks.</summary>
    public static (double Correct, double Rows) CountCorrect(SoftmaxModel model, PackedDataset file, int start, int count)
    {
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
    /// The body of <c>softmax train --distributed</c> on this rank. Rank 0 prints, writes the model (after every rank
    /// has finished), the checkpoints and the metrics; the other ranks write nothing. Every rank reads and checks a
    /// checkpoint to resume from. Any error aborts the whole job (MPI_Abort, exit code 2 for usage and input errors, 1
    /// otherwise) with a message naming the rank.
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
                var hooks = new TrainingHooks { CancellationToken = token };
                if (plan.UsesCheckpoints || options.ValidationFraction > 0)
                {
                    using var whole = PackedDataset.Open(files[0]);
                    (hooks, splitFile) = Prepare(rankUi, plan, whole, mpi.Rank, mpi.Size, token);
                }
                // A validation split: each rank streams its share of the training rows from a file of its own.
                if (splitFile is not null) files = Enumerable.Repeat(splitFile, mpi.Size).ToArray();
                return TrainOnRank(rankUi, mpi, plan, files, hooks, specs, () => trained = true);
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

    /// <summary>
    /// This rank's training: its shard (streamed for L-BFGS, in memory for SGD and Adam), the sums allreduced under the
    /// collective watchdog so that every rank takes the same steps; rank 0 alone writes the model, atomically (temporary
    /// file, then rename), after every rank has finished.
    /// </summary>
    private static (TrainingResult Result, ShardPlan Shard, MpiAllReduce AllReduce) FitOnRank(MpiRuntime mpi, TrainPlan plan, string[] files,
        TrainingHooks hooks)
    {
        using var watchdog = new CollectiveWatchdog(plan.CollectiveTimeout, mpi.Rank);
        var allReduce = new MpiAllReduce(mpi.World, watchdog);
        var shard = ShardPlan.For(files, mpi.Rank, mpi.Size, allReduce);
        using var file = PackedDataset.Open(shard.Path);
        TrainingView view = plan.Options.Solver == SolverKind.Lbfgs
            ? new StreamedView(file, Stream(plan) with { RowStart = shard.RowStart, RowCount = shard.RowCount }, allReduce, shard.GlobalOffset, shard.TotalRows)
            : new ShardView(file, shard, allReduce, plan.AverageEvery, plan.Slices);
        var result = SoftmaxTrainer.FitView(view, plan.Options, hooks);
        // Every rank reaches this point before the model appears: a rank that failed earlier has aborted the job.
        using (watchdog.Enter("the final barrier")) mpi.World.Barrier();
        if (mpi.Rank == 0) ModelFile.Save(result.Model, plan.ModelPath);
        return (result, shard, allReduce);
    }

    /// <summary>Trains on this rank's rows, scores the shards and, on rank 0, reports; returns the rank's exit code.</summary>
    private static int TrainOnRank(Ui rankUi, MpiRuntime mpi, TrainPlan plan, string[] files, TrainingHooks hooks, string[] specs, Action trained)
    {
        bool root = mpi.Rank == 0;
        var (testSource, options) = (plan.TestSource, plan.Options);
        var test = root ? testSource?.LoadForEvaluation() ?? (specs.Length == 1 ? (plan.TrainSource with { Spec = specs[0] }).LoadOwnTestSplit() : null) : null;
        if (root) rankUi.Note($"data: {string.Join(", ", files)}: split over {mpi.Size} ranks" + (test is null ? ", no test set" : $"; {test.Rows} test rows"));
        ShardPlan shard = null!;
        MpiAllReduce allReduce = null!;
        var result = new RunProgress(options) { DelayMs = plan.EpochDelayMs }.Run(rankUi, "training", progress =>
        {
            (var fitted, shard, allReduce) = FitOnRank(mpi, plan, files, hooks with { Progress = WithPidFile(plan.PidDirectory, mpi.Rank, root ? progress : null) });
            return fitted;
        });
        trained();
        TrainCommand.CheckTest(result.Model.Features, test, testSource?.Spec ?? specs[0]);
        // Train accuracy: each rank scores its shard; one allreduce adds the counts and gathers each rank's
        // weight hash and allreduce time (the calls of training are counted before it).
        long trainingCalls = allReduce.Calls;
        var gather = new RankGather(mpi.Size, mpi.Rank);
        string? name;   // the dataset name in the header of rank 0's file
        using (var file = PackedDataset.Open(shard.Path, verifyChunks: false))
        {
            gather.SetCounts(CountCorrect(result.Model, file, shard.RowStart, shard.RowCount));
            name = file.Header.Name;
        }
        gather.SetOwn(InfoCommand.WeightsHash(result.Model), allReduce.Elapsed.TotalSeconds);
        allReduce.SumInPlace(gather.Slots);
        if (root)
        {
            var (correct, rows) = gather.Counts;
            var metrics = new ScaleMetrics(mpi.Size, shard.RowCount, trainingCalls, gather.Seconds(), gather.Hashes());
            var trainedRun = new TrainedRun(result, name ?? specs[0], rows > 0 ? correct / rows : double.NaN) { Test = test, Scale = metrics };
            TrainingReport.Write(rankUi, plan, trainedRun);
            rankUi.Note($"allreduce: {allReduce.Calls} calls, {allReduce.Elapsed.TotalSeconds:F3} s on rank 0; {shard.RowCount} rows per rank 0 shard" +
                        (options.Solver == SolverKind.Lbfgs ? "" : plan.AverageEvery > 0 ? $"; local SGD, weights averaged every {plan.AverageEvery} steps" : "; synchronous mini-batches"));
        }
        // Every rank holds the same weights and history, so every rank exits alike; rank 0 alone says why.
        if (root) return GlobalFlags.Health(result);
        return Softmax.Model.TrainingHealth.Diverged(result) is null ? 0 : GlobalFlags.DivergedExit;
    }

    /// <summary>
    /// Progress for rank <paramref name="rank"/>: writes its process id under <paramref name="directory"/> at the
    /// first report, then forwards to <paramref name="inner"/>. Null when there is nothing to do. The testing aid behind
    /// the hidden <c>softmax train --distributed --debug-pid-dir</c> (see <see cref="TrainOutputFlags"/>), so a test can
    /// kill or stop one rank mid-run.
    /// </summary>
    private static IProgress<TrainingProgress>? WithPidFile(string? directory, int rank, IProgress<TrainingProgress>? inner)
    {
        if (directory is null) return inner;
        bool written = false;
        return new SyncProgress<TrainingProgress>(p =>
        {
            if (!written)
            {
                written = true;
                AtomicFile.WriteText(Path.Combine(directory, $"rank-{rank}.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            }
            inner?.Report(p);
        });
    }
}

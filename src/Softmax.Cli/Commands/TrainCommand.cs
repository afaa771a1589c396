using System.CommandLine;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax train</c> as plan → run → report: <see cref="TrainPlan"/> decides the data view (in memory, streamed
/// from a packed file, or split over the ranks of an MPI job) and the engine from the flags, before any work; the run
/// trains under the one progress adapter (<see cref="RunProgress"/>); <see cref="TrainingReport"/> writes the metrics,
/// plots and summary of every mode. The rows stream by themselves when the decoded data exceed <c>--memory-limit</c>.
/// </summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var flags = new TrainingFlags();
        var own = new TrainOutputFlags();
        var command = new Command("train", "Train a softmax classifier, evaluate it and write the model");
        flags.AddTo(command);
        own.AddTo(command);
        command.SetAction(parse => global.Run(parse, (ui, token) => Run(ui, TrainPlan.Parse(parse, flags, own), token)));
        return command;
    }

    /// <summary>Runs <paramref name="plan"/>: trains, saves the model and reports; returns the exit code.</summary>
    public static int Run(Ui ui, TrainPlan plan, CancellationToken token)
    {
        if (plan.View == DataView.Distributed)
            return ScaleTraining.RunDistributed(ui, plan, token);
        if (plan.View == DataView.Streamed) return TrainStreamed(ui, plan, null, null, token);
        var trainSource = plan.TrainSource;
        TrainPlan? over = null;
        if (trainSource.IsPacked && File.Exists(trainSource.Spec))
            using (var f = PackedDataset.Open(trainSource.Spec, verifyChunks: false)) over = StreamedIfOver(plan, f.DecodedBytes);
        if (over is not null) return TrainStreamed(ui, over, null, null, token);
        // The source's own test split is known to match and is not needed while training: it is read afterwards, so it
        // does not add to the peak memory. A --test file is checked first.
        bool deferTest = plan.TestSource is null;
        var (train, test) = LoadData(ui, trainSource, plan.TestSource, deferTest);
        return StreamedIfOver(plan, PackedSource.DecodedBytes(train)) is { } streamed
            ? TrainStreamed(ui, streamed, train, test, token)
            : TrainInMemory(ui, plan, train, test, deferTest, token);
    }

    /// <summary>Trains on rows in memory, on the plan's engine; saves the model and reports.</summary>
    private static int TrainInMemory(Ui ui, TrainPlan plan, Dataset train, Dataset? test, bool deferTest, CancellationToken token)
    {
        var trail = plan.PlotDir is null ? null : new ParameterTrail();
        TrainingResult result;
        IReadOnlyList<CurvePoint> earlier;
        string engineKind;
        long devicePasses;
        using (var engine = TrainingEngine.Open(plan.Device, ui))
        {
            var options = engine.Apply(plan.Options);
            string data = plan.TrainSource.Spec;
            Magnitudes.Check(train, options, data);
            var view = new Dictionary<string, string> { [RunCheckpoints.ViewKey] = "memory" };
            var checkpoints = plan.Checkpoints(options, DataFingerprint.Of(train, data), view);
            (var resume, earlier) = checkpoints.Resume(ui, options.Solver, train.ClassNames.Count, train.FeatureCount);
            var writer = checkpoints.Writer(options.Solver, earlier);
            result = new RunProgress(options) { Trail = trail, DelayMs = plan.EpochDelayMs }.Run(ui, "training",
                progress => SoftmaxTrainer.Fit(train, options, progress, token, resume, writer, checkpointEvery: 1));
            (engineKind, devicePasses) = (engine.Kind, engine.DevicePasses);
        }
        if (result.Solver.Reason == StopReason.Cancelled) ui.Note("stopped by Ctrl+C: keeping the best weights so far");
        ModelFile.Save(result.Model, plan.ModelPath);
        // Training's buffers (engine blocks, preconditioner, solver history) are garbage now: collect them before the
        // rows are scored, so the process peak is training's, not the sum of both.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var fitted = result.Train ?? throw new InvalidOperationException("The in-memory trainer returned no training rows.");
        double trainAccuracy = Scoring.Accuracy(result.Model, fitted);
        var curve = trail?.Curve(fitted, result.Model.Preprocessor, earlier) ?? [];
        var (dataName, features) = (train.Name ?? plan.TrainSource.Spec, train.FeatureCount);
        if (deferTest)
        {
            // Scored, the training rows are let go before the test set is read (unless the plots may draw the confusion
            // matrix on them): the peak is then the training rows' or the test rows', not both.
            if (plan.PlotDir is null)
            {
                (result, train, fitted) = (result with { Train = null }, null!, null!);
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            test = CheckTest(features, plan.TrainSource.LoadOwnTestSplit(), plan.TrainSource.Spec);
        }
        TrainingReport.Write(ui, plan, new TrainedRun(result, dataName, trainAccuracy)
        {
            Test = test,
            Curve = curve,
            Engine = engineKind,
            DevicePasses = devicePasses,
        });
        return GlobalFlags.Health(result);
    }

    /// <summary><paramref name="plan"/> switched to streaming when <paramref name="bytes"/> of decoded rows exceed its memory limit; else null.</summary>
    private static TrainPlan? StreamedIfOver(TrainPlan plan, long bytes) => MemoryBudget.ShouldStream(bytes, plan.MemoryLimit)
        ? plan.SwitchToStreamed($"streamed training (the decoded training data, {bytes} bytes, exceed the memory limit of {plan.MemoryLimit ?? MemoryBudget.DefaultLimit} bytes)")
        : null;

    /// <summary>
    /// Trains over the packed rows of the plan's source (packing them first when needed: from <paramref name="loaded"/>
    /// when the automatic switch has already read them), then saves and reports.
    /// </summary>
    private static int TrainStreamed(Ui ui, TrainPlan plan, Dataset? loaded, Dataset? loadedTest, CancellationToken token)
    {
        var (trainSource, testSource) = (plan.TrainSource, plan.TestSource);
        if (plan.SwitchReason is { } why) ui.Note($"note: {why}");
        // A deferred own test split (loadedTest null with loaded rows) is read here, after training, like the rest.
        var test = loadedTest ?? testSource?.LoadForEvaluation() ?? trainSource.LoadOwnTestSplit();
        string path = PackedSource.Resolve(trainSource, create: true, loaded);
        var schema = loaded?.Schema;   // tabular rows were packed featurized: the model keeps their input schema
        loaded = null;   // the streamed passes hold two blocks, not the rows the size check read
        // Under a memory limit, blocking collections: a background GC that lags behind the block buffers' churn on a
        // busy machine let the peak resident set pass 128 MiB under --memory-limit 128MiB (114 MiB on a quiet one).
        if (plan.MemoryLimit is not null) System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
        using var file = PackedDataset.Open(path);
        CheckTest(file.Features, test, testSource?.Spec ?? trainSource.Spec);
        var (result, trainAccuracy) = ScaleTraining.FitStreamed(ui, file, plan, token);
        var m = result.Model;
        if (schema is not null) result = result with { Model = new SoftmaxModel(m.Parameters, m.ClassNames, m.Features, m.Preprocessor, m.Image, m.Training) { Schema = schema } };
        if (result.Solver.Reason == StopReason.Cancelled) ui.Note("stopped by Ctrl+C: keeping the best weights so far");
        ModelFile.Save(result.Model, plan.ModelPath);
        var run = new TrainedRun(result, file.Header.Name ?? trainSource.Spec, trainAccuracy) { Test = test, Scale = new ScaleMetrics(1) };
        TrainingReport.Write(ui, plan, run);
        return GlobalFlags.Health(result);
    }

    /// <summary>
    /// Loads training and test rows and checks they agree; with <paramref name="deferOwnTest"/> (and no
    /// <paramref name="testSource"/>) only the training rows, the source's own test split coming later
    /// (<see cref="DataSource.LoadOwnTestSplit"/>, checked by <see cref="CheckTest"/>).
    /// </summary>
    public static (Dataset Train, Dataset? Test) LoadData(Ui ui, DataSource trainSource, DataSource? testSource, bool deferOwnTest = false)
    {
        bool defer = deferOwnTest && testSource is null;
        trainSource = trainSource with { Notes = ui.Note };
        var (train, test) = defer ? (trainSource.LoadTrain(), null) : trainSource.LoadTrainTest();
        if (testSource is not null) test = train.Schema is { } schema ? testSource.LoadForEvaluation(schema, out _) : testSource.LoadForEvaluation();
        CheckTest(train.FeatureCount, test, testSource?.Spec ?? trainSource.Spec);
        ui.Note($"data: {train.Name ?? trainSource.Spec}: {train.Rows} training rows, {train.FeatureCount} features, {train.ClassCount} classes"
            + (defer ? "; its test split is read after training" : test is null ? ", no test set" : $"; {test.Rows} test rows"));
        return (train, test);
    }

    /// <summary>
    /// <paramref name="test"/>, checked: a test set whose rows have another feature count than the training rows is an
    /// input error naming <paramref name="spec"/>.
    /// </summary>
    public static Dataset? CheckTest(int trainFeatures, Dataset? test, string spec)
    {
        if (test is not null && test.FeatureCount != trainFeatures)
            throw new DataFormatException(spec, null, $"the test set has {test.FeatureCount} features per row but the training set has {trainFeatures}");
        return test;
    }
}

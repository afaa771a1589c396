using System.CommandLine;
using System.Text.Json;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Cli.Plots;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax train</c>: fit, evaluate on the test set, write the model, metrics, pictures and checkpoints. The rows
/// are loaded into memory, or streamed from a packed file (<c>--stream</c>, or by itself when the decoded data exceed
/// <c>--memory-limit</c>), or split over the ranks of an MPI job (<c>--distributed</c>).
/// </summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var flags = new TrainingFlags();
        var model = new Option<string>("--model") { Description = "Where to write the trained model", DefaultValueFactory = _ => "model.softmax" };
        var metrics = new Option<string?>("--metrics-json") { Description = "Write the run's metrics as one JSON object" };
        var plots = new Option<string?>("--plots") { Description = "Directory for learning curves, weight pictures and the confusion matrix (PNG and SVG)" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Write a checkpoint every N epochs (L-BFGS: iterations)", DefaultValueFactory = _ => 0 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file (default: MODEL.ckpt)" };
        var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint written by --checkpoint-every" };
        var delay = new Option<int>("--debug-epoch-delay-ms") { Hidden = true, Description = "Testing aid: pause after each epoch" };
        var stream = new Option<bool>("--stream") { Description = "Stream row blocks from a packed cache instead of loading the data (on by itself when the decoded data exceed --memory-limit)" };
        var memoryLimit = new Option<long?>("--memory-limit") { Description = "Bytes the decoded training data may take in memory before training streams (default: half the memory available)" };
        var distributed = new Option<bool>("--distributed") { Description = "Data-parallel training over MPI: run as 'mpiexec.mpich -n K softmax train --distributed ...'; --data is one file split by rows, or a comma-separated list of one file per rank. L-BFGS/OWL-QN are exact; SGD/Adam run synchronous mini-batches (one allreduce per step) or, with --average-every, local SGD" };
        var averageEvery = new Option<int>("--average-every") { Description = "With --distributed and --solver sgd/adam: local SGD, each rank steps on its own rows and the ranks average the weights every K steps and at each epoch's end (0: synchronous mini-batches, one allreduce per step)", DefaultValueFactory = _ => 0 };
        var collectiveTimeout = new Option<double>("--collective-timeout") { Description = "Seconds a rank may wait in one MPI collective before the job ends with an error", DefaultValueFactory = _ => 600 };
        var command = new Command("train", "Train a softmax classifier, evaluate it and write the model");
        flags.AddTo(command);
        var scale = new ScaleFlags();
        scale.AddTo(command);
        foreach (Option o in new Option[] { model, metrics, plots, checkpointEvery, checkpoint, resume, delay, stream, memoryLimit, distributed, averageEvery, collectiveTimeout }) command.Add(o);
        command.SetAction(parse => global.Run(parse, (ui, token) =>
        {
            var options = flags.Options(parse);
            var (trainSource, testSource) = flags.Sources(parse);
            string modelPath = parse.GetValue(model)!;
            AtomicFile.CheckWritable(modelPath, "--model");
            int every = parse.GetValue(checkpointEvery);
            if (every < 0) throw new UsageException("--checkpoint-every must be ≥ 0.");
            string? resumePath = parse.GetValue(resume);
            if (resumePath is not null && !File.Exists(resumePath)) throw new FileNotFoundException($"No such checkpoint file: {resumePath}", resumePath);
            string? plotDir = parse.GetValue(plots);
            string? metricsPath = parse.GetValue(metrics);
            if (metricsPath is not null) AtomicFile.CheckWritable(metricsPath, "--metrics-json");
            long? limit = parse.GetValue(memoryLimit);
            if (limit is <= 0) throw new UsageException($"--memory-limit must be a positive number of bytes, not {limit}.");
            double timeoutSeconds = parse.GetValue(collectiveTimeout);
            if (!(timeoutSeconds > 0)) throw new UsageException($"--collective-timeout must be a positive number of seconds, not {timeoutSeconds}.");
            string device = parse.GetValue(flags.Device)!;
            int averageSteps = parse.GetValue(averageEvery);
            if (averageSteps < 0) throw new UsageException($"--average-every must be ≥ 0, not {averageSteps}.");
            if (averageSteps > 0 && !parse.GetValue(distributed)) throw new UsageException("--average-every applies to --distributed training only.");
            bool checkpoints = every > 0;
            var (slices, pidDirectory) = scale.Values(parse, parse.GetValue(distributed));

            void Report(Ui view, TrainingResult result, double trainAccuracy, Dataset? test, string dataName, ScaleMetrics run) =>
                ReportScaled(view, result, options, modelPath, metricsPath, plotDir, trainAccuracy, test, dataName, run);

            if (parse.GetValue(distributed))
            {
                ScaleTraining.CheckSupported(options, "--distributed", checkpoints, resumePath is not null, device);
                return ScaleTraining.RunDistributed(ui, trainSource, testSource, options, modelPath, limit, TimeSpan.FromSeconds(timeoutSeconds), Report, token,
                    averageSteps, slices, pidDirectory);
            }
            if (parse.GetValue(stream))
                return TrainStreamed(ui, "--stream", trainSource, testSource, null, null, options, modelPath, limit, checkpoints, resumePath, device, Report, token);
            if (trainSource.IsPacked && File.Exists(trainSource.Spec))
            {
                long bytes;
                using (var f = PackedDataset.Open(trainSource.Spec, verifyChunks: false)) bytes = f.DecodedBytes;
                if (MemoryBudget.ShouldStream(bytes, limit))
                    return TrainStreamed(ui, StreamingReason(bytes, limit), trainSource, testSource, null, null, options, modelPath, limit, checkpoints, resumePath, device, Report, token);
            }

            // The source's own test split is known to match and is not needed while training (only --plots tracks test
            // accuracy): it is read afterwards, so it does not add to the peak memory. A --test file is checked first.
            bool deferTest = testSource is null && plotDir is null;
            var (train, test) = LoadData(ui, trainSource, testSource, deferTest);
            long decoded = PackedSource.DecodedBytes(train);
            if (MemoryBudget.ShouldStream(decoded, limit))
                return TrainStreamed(ui, StreamingReason(decoded, limit), trainSource, testSource, train, test, options, modelPath, limit, checkpoints, resumePath, device, Report, token);
            var run = new TrainingRun
            {
                Options = options,
                Train = train,
                Test = test,
                Settings = TrainingFlags.Describe(options, trainSource),
                TrackAccuracy = plotDir is not null,
                CheckpointEvery = every,
                CheckpointPath = parse.GetValue(checkpoint) ?? modelPath + ".ckpt",
                ResumePath = resumePath,
                EpochDelayMs = parse.GetValue(delay),
            };
            var outcome = run.Execute(ui, token);
            var result = outcome.Result;
            if (result.Solver.Reason == StopReason.Cancelled)
                ui.Note("stopped by Ctrl+C: keeping the best weights so far");
            ModelFile.Save(result.Model, modelPath);
            // Training's buffers (engine blocks, preconditioner, solver history) are garbage now: collect them before the
            // test set and the scoring buffers are allocated, so the process peak is training's, not the sum of both.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            if (deferTest) test = OwnTestSplit(trainSource, train);

            double trainAccuracy = Scoring.Accuracy(result.Model, TrainingPart(train, options));
            double? validationAccuracy = result.Validation is { } v ? Scoring.Accuracy(result.Model, v) : null;
            var testEval = test is null ? null : Evaluation.Run(result.Model, test);
            if (metricsPath is not null) WriteMetrics(metricsPath, result, options, train.FeatureCount, train.ClassCount, train.Name, trainAccuracy, validationAccuracy, testEval);
            var written = new List<string> { modelPath };
            if (metricsPath is not null) written.Add(metricsPath);
            if (plotDir is not null)
            {
                string title = train.Name ?? trainSource.Spec;
                written.AddRange(LearningCurves.Save(result.Solver.History, outcome.Curve, options.Solver == SolverKind.Lbfgs, plotDir, title));
                written.AddRange(WeightPictures.Save(result.Model, plotDir, $"{title}: learned weights per class"));
                var confusionOn = testEval ?? Evaluation.Run(result.Model, train);
                written.AddRange(ConfusionHeatmap.Save(confusionOn, plotDir, $"{title}: confusion matrix ({(testEval is null ? "train" : "test")} set)"));
            }
            Summarize(ui, result, train.Name ?? "", trainAccuracy, validationAccuracy, testEval, written);
            return GlobalFlags.Health(result);
        }));
        return command;
    }

    private static string StreamingReason(long bytes, long? limit) =>
        $"streamed training (the decoded training data, {bytes} bytes, exceed the memory limit of {limit ?? MemoryBudget.DefaultLimit} bytes)";

    /// <summary>
    /// Trains over the packed rows of <paramref name="trainSource"/> (packing them first when needed: from
    /// <paramref name="loaded"/> when the automatic switch has already read them), then saves and reports.
    /// </summary>
    private static int TrainStreamed(Ui ui, string mode, DataSource trainSource, DataSource? testSource, Dataset? loaded, Dataset? loadedTest,
        TrainingOptions options, string modelPath, long? limit, bool checkpoints, string? resumePath, string device, ScaledReport report, CancellationToken token)
    {
        ScaleTraining.CheckSupported(options, mode, checkpoints, resumePath is not null, device);
        if (mode != "--stream") ui.Note($"note: {mode}");
        // A deferred own test split (loadedTest null with loaded rows) is read here, after training, like the rest.
        var test = loadedTest ?? testSource?.LoadForEvaluation() ?? trainSource.LoadOwnTestSplit();
        string path = PackedSource.Resolve(trainSource, create: true, loaded);
        var schema = loaded?.Schema;   // tabular rows were packed featurized: the model keeps their input schema
        loaded = null;   // the streamed passes hold two blocks, not the rows the size check read
        using var file = PackedDataset.Open(path);
        if (test is not null && test.FeatureCount != file.Features)
            throw new DataFormatException(testSource?.Spec ?? trainSource.Spec, null,
                $"the test set has {test.FeatureCount} features per row but the training set has {file.Features}");
        var result = ScaleTraining.FitStreamed(ui, file, options, new StreamingOptions(MemoryBudget.BlockBytesFor(limit)), token);
        if (schema is not null)
        {
            var m = result.Model;
            result = result with { Model = new SoftmaxModel(m.Parameters, m.ClassNames, m.Features, m.Preprocessor, m.Image, m.Training) { Schema = schema } };
        }
        if (result.Solver.Reason == StopReason.Cancelled) ui.Note("stopped by Ctrl+C: keeping the best weights so far");
        ModelFile.Save(result.Model, modelPath);
        var (correct, rows) = ScaleTraining.CountCorrect(result.Model, file);
        report(ui, result, rows > 0 ? correct / rows : double.NaN, test, file.Header.Name ?? trainSource.Spec, new ScaleMetrics(1));
        return GlobalFlags.Health(result);
    }

    /// <summary>Metrics, plots and summary of a streamed or distributed run; the model is already saved.</summary>
    private static void ReportScaled(Ui ui, TrainingResult result, TrainingOptions options, string modelPath, string? metricsPath, string? plotDir,
        double trainAccuracy, Dataset? test, string dataName, ScaleMetrics run)
    {
        var testEval = test is null ? null : Evaluation.Run(result.Model, test);
        if (metricsPath is not null)
            WriteMetrics(metricsPath, result, options, result.Model.Features, result.Model.Classes, dataName, trainAccuracy, null, testEval, run);
        var written = new List<string> { modelPath };
        if (metricsPath is not null) written.Add(metricsPath);
        if (plotDir is not null)
        {
            written.AddRange(LearningCurves.Save(result.Solver.History, [], options.Solver == SolverKind.Lbfgs, plotDir, dataName));
            written.AddRange(WeightPictures.Save(result.Model, plotDir, $"{dataName}: learned weights per class"));
            if (testEval is not null) written.AddRange(ConfusionHeatmap.Save(testEval, plotDir, $"{dataName}: confusion matrix (test set)"));
        }
        Summarize(ui, result, dataName, trainAccuracy, null, testEval, written, run.Ranks);
    }

    /// <summary>
    /// Loads training and test rows and checks they agree; with <paramref name="deferOwnTest"/> (and no
    /// <paramref name="testSource"/>) only the training rows, the source's own test split coming later from
    /// <see cref="OwnTestSplit"/>.
    /// </summary>
    public static (Dataset Train, Dataset? Test) LoadData(Ui ui, DataSource trainSource, DataSource? testSource, bool deferOwnTest = false)
    {
        bool defer = deferOwnTest && testSource is null;
        trainSource = trainSource with { Notes = ui.Note };
        var (train, test) = defer ? (trainSource.LoadTrain(), null) : trainSource.LoadTrainTest();
        if (testSource is not null) test = train.Schema is { } schema ? testSource.LoadForEvaluation(schema, out _) : testSource.LoadForEvaluation();
        CheckTest(train, test, testSource?.Spec ?? trainSource.Spec);
        ui.Note($"data: {train.Name ?? trainSource.Spec}: {train.Rows} training rows, {train.FeatureCount} features, {train.ClassCount} classes"
            + (defer ? "; its test split is read after training" : test is null ? ", no test set" : $"; {test.Rows} test rows"));
        return (train, test);
    }

    /// <summary>The source's own test split (see <see cref="DataSource.LoadOwnTestSplit"/>), checked against the training rows.</summary>
    public static Dataset? OwnTestSplit(DataSource trainSource, Dataset train)
    {
        var test = trainSource.LoadOwnTestSplit();
        CheckTest(train, test, trainSource.Spec);
        return test;
    }

    private static void CheckTest(Dataset train, Dataset? test, string spec)
    {
        if (test is not null && test.FeatureCount != train.FeatureCount)
            throw new DataFormatException(spec, null,
                $"the test set has {test.FeatureCount} features per row but the training set has {train.FeatureCount}");
    }

    private static Dataset TrainingPart(Dataset data, TrainingOptions options) =>
        options.ValidationFraction > 0 ? data.Split(options.ValidationFraction, options.Seed).Train : data;

    private static void WriteMetrics(string path, TrainingResult r, TrainingOptions o, int features, int classes, string? dataName,
        double trainAccuracy, double? validationAccuracy, Evaluation? test, ScaleMetrics? scale = null) => JsonOut.WriteFile(path, w =>
    {
        w.WriteStartObject();
        w.Number("objective", r.Objective);
        w.Number("train_accuracy", trainAccuracy);
        w.Number("test_accuracy", test?.Accuracy);
        w.Number("validation_accuracy", validationAccuracy);
        w.WriteNumber("iterations", r.Solver.Iterations);
        w.WriteNumber("epochs", r.Solver.Epochs);
        w.Number("train_seconds", r.Elapsed.TotalSeconds);
        w.WriteString("solver", r.Model.Training.Solver);
        w.Number("l2", o.L2);
        w.Number("l1", o.L1);
        w.WriteNumber("n_train", r.Model.Training.Rows);
        w.WriteNumber("n_features", features);
        w.WriteNumber("n_classes", classes);
        w.WriteString("stop_reason", r.Solver.Reason.ToString());
        w.WriteNumber("seed", o.Seed);
        w.WriteString("dataset", dataName);
        scale?.Write(w);
        w.Number("test_log_loss", test?.LogLoss);
        w.Number("test_top_k_accuracy", test?.TopKAccuracy);
        w.Hyperparameters(r.Model.Training);
        w.WriteString("diverged", TrainingHealth.Diverged(r));
        w.History(r.Solver.History);
        if (test is not null)
        {
            w.WritePropertyName("test");
            w.Evaluation(test);
        }
        w.WriteEndObject();
    });

    private static void Summarize(Ui ui, TrainingResult r, string dataName, double trainAccuracy, double? validationAccuracy,
        Evaluation? test, List<string> written, int? ranks = null)
    {
        var rows = new List<(string, string)>
        {
            ("dataset", dataName),
            ("solver", r.Model.Training.Solver),
            ("objective F", Ui.F(r.Objective, "R")),
            ("stop reason", r.Solver.Reason.ToString()),
            ("iterations", r.Solver.Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("epochs", r.Solver.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("train seconds", Ui.F(r.Elapsed.TotalSeconds, "F3")),
            ("train accuracy", Ui.F(trainAccuracy, "F4")),
        };
        if (ranks is { } k) rows.Insert(2, ("mode", k > 1 ? $"distributed over {k} ranks (MPI)" : "streamed"));
        if (validationAccuracy is { } va) rows.Add(("validation accuracy", Ui.F(va, "F4")));
        if (test is not null)
        {
            rows.Add(("test accuracy", Ui.F(test.Accuracy, "F4")));
            rows.Add(("test log-loss", Ui.F(test.LogLoss, "F4")));
        }
        rows.Add(("written", string.Join(", ", written.Where(f => !f.EndsWith(".svg", StringComparison.Ordinal)))));
        ui.Summary("training summary", rows);
    }
}

using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Cli.Plots;
using Softmax.Data;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>What a finished run hands to the report, whatever its data view and engine.</summary>
/// <param name="Result">The trainer's result (the model is already saved).</param>
/// <param name="DataName">The dataset's name, for titles.</param>
/// <param name="TrainAccuracy">Accuracy on the rows the solver fitted.</param>
public sealed record TrainedRun(TrainingResult Result, string DataName, double TrainAccuracy)
{
    /// <summary>The test rows (raw), or null.</summary>
    public Dataset? Test { get; init; }
    /// <summary>What a streamed (1 rank) or distributed run adds to the metrics; null in memory.</summary>
    public ScaleMetrics? Scale { get; init; }
    /// <summary>Train accuracy per epoch (L-BFGS: iteration), when recorded.</summary>
    public IReadOnlyList<CurvePoint> Curve { get; init; } = [];
    /// <summary>The engine that trained: "cpu" or "gpu".</summary>
    public string Engine { get; init; } = "cpu";
    /// <summary>Passes the GPU loss ran (0 on the CPU).</summary>
    public long DevicePasses { get; init; }
}

/// <summary>
/// The one report tail of <c>softmax train</c>, for every data view and engine: the metrics JSON, the plots and the
/// summary table. Nothing here trains, splits or refits: it reads what the run returned.
/// </summary>
public static class TrainingReport
{
    /// <summary>Writes the metrics and plots <paramref name="plan"/> asks for and prints the summary.</summary>
    public static void Write(Ui ui, TrainPlan plan, TrainedRun run)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(run);
        var testEval = run.Test is null ? null : Evaluation.Run(run.Result.Model, run.Test);
        // The held-out rows, whatever the data view: every trainer returns the ones it validated on.
        double? validationAccuracy = run.Result.Validation is { } v ? Scoring.Accuracy(run.Result.Model, v) : null;
        var written = new List<string> { plan.ModelPath };
        if (plan.MetricsPath is not null)
        {
            WriteMetrics(plan.MetricsPath, plan.Options, run, validationAccuracy, testEval);
            written.Add(plan.MetricsPath);
        }
        if (plan.PlotDir is not null) written.AddRange(Plots(plan.PlotDir, run, testEval));
        Summarize(ui, run, validationAccuracy, testEval, written);
    }

    private static IEnumerable<string> Plots(string directory, TrainedRun run, Evaluation? testEval)
    {
        var r = run.Result;
        var files = new List<string>();
        files.AddRange(LearningCurves.Save(r.Solver.History, run.Curve, r.Model.Training.Epochs is null, directory, run.DataName));
        files.AddRange(WeightPictures.Save(r.Model, directory, $"{run.DataName}: learned weights per class"));
        // The confusion matrix on the test set, else on the fitted rows when they are in memory.
        var confusionOn = testEval ?? (r.Train is { } train ? Evaluation.Run(r.Model, train) : null);
        if (confusionOn is not null)
            files.AddRange(ConfusionHeatmap.Save(confusionOn, directory, $"{run.DataName}: confusion matrix ({(testEval is null ? "train" : "test")} set)"));
        return files;
    }

    private static void WriteMetrics(string path, TrainingOptions o, TrainedRun run, double? validationAccuracy, Evaluation? test) => JsonOut.WriteFile(path, w =>
    {
        var r = run.Result;
        w.WriteStartObject();
        w.Number("objective", r.Objective);
        w.Number("train_accuracy", run.TrainAccuracy);
        w.Number("test_accuracy", test?.Metrics.Accuracy);
        w.Number("validation_accuracy", validationAccuracy);
        w.Counts(r.Model.Training);
        w.Number("train_seconds", r.Elapsed.TotalSeconds);
        w.WriteString("solver", r.Model.Training.Solver);
        w.Number("l2", o.L2);
        w.Number("l1", o.L1);
        w.WriteNumber("n_train", r.Model.Training.Rows);
        w.WriteNumber("n_features", r.Model.Features);
        w.WriteNumber("n_classes", r.Model.Classes);
        w.WriteString("stop_reason", r.Solver.Reason.ToString());
        w.WriteNumber("seed", o.Seed);
        w.WriteString("dataset", run.DataName);
        w.WriteString("engine", run.Engine);
        if (run.Engine == "gpu") w.WriteNumber("device_passes", run.DevicePasses);
        run.Scale?.Write(w);
        w.Number("test_log_loss", test?.Metrics.LogLoss);
        w.Number("test_top_k_accuracy", test?.Metrics.TopKAccuracy);
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

    private static void Summarize(Ui ui, TrainedRun run, double? validationAccuracy, Evaluation? test, List<string> written)
    {
        var r = run.Result;
        var rows = new List<(string, string)>
        {
            ("dataset", run.DataName),
            ("solver", r.Model.Training.Solver),
            ("objective F", Ui.F(r.Objective, "R")),
            ("stop reason", r.Solver.Reason.ToString()),
            ("iterations", Ui.I(r.Solver.Iterations)),
            r.Model.Training.Evaluations is { } evaluations ? ("evaluations", Ui.I(evaluations))
                : ("epochs", Ui.I(r.Model.Training.Epochs ?? 0)),
            ("train seconds", Ui.F(r.Elapsed.TotalSeconds, "F3")),
            ("train accuracy", Ui.F(run.TrainAccuracy, "F4")),
        };
        if (run.Scale?.Ranks is { } k) rows.Insert(2, ("mode", k > 1 ? $"distributed over {k} ranks (MPI)" : "streamed"));
        if (run.Engine == "gpu") rows.Insert(2, ("engine", $"GPU ({run.DevicePasses} device passes)"));
        if (validationAccuracy is { } va) rows.Add(("validation accuracy", Ui.F(va, "F4")));
        if (test is not null)
        {
            rows.Add(("test accuracy", Ui.F(test.Metrics.Accuracy, "F4")));
            rows.Add(("test log-loss", Ui.F(test.Metrics.LogLoss, "F4")));
        }
        rows.Add(("written", string.Join(", ", written.Where(f => !f.EndsWith(".svg", StringComparison.Ordinal)))));
        ui.Summary("training summary", rows);
    }
}

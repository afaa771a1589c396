using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Cli.Plots;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>One hyper-parameter setting tried by <c>softmax tune</c> and how it scored (± the spread over folds).</summary>
public sealed record Trial(int Index, double LearningRate, double L2, int BatchSize, int Epochs, double ValidationAccuracy, double AccuracyStd,
    double ValidationLogLoss, double LogLossStd, double Objective, double Seconds, string Status, IReadOnlyList<HistoryEntry> History)
{
    /// <summary>Each fold's held-out accuracy (empty for one validation split).</summary>
    public IReadOnlyList<double> FoldAccuracies { get; init; } = [];

    /// <summary>False for L-BFGS, which reads no learning rate, batch size or epochs.</summary>
    public bool MiniBatch { get; init; } = true;

    /// <summary>The setting in words, naming only what the solver reads.</summary>
    public string Label => (MiniBatch ? $"lr {Ui.F(LearningRate)}, batch {BatchSize}, epochs {Epochs}, " : "") + $"λ {Ui.F(L2)}";

    /// <summary>True when the run diverged (non-finite, above ln C, or a rising loss): ranked last.</summary>
    public bool Diverged => Status.StartsWith("diverged", StringComparison.Ordinal);
}

/// <summary>
/// <c>softmax tune</c>: grid or random search over learning rate, λ2, batch size and epochs, each scored on a
/// stratified validation split or by stratified k-fold cross-validation (<c>--folds K</c>, mean ± std); a table
/// sorted by validation accuracy (diverged settings last), the curves of every setting overlaid (<c>--plots</c>), and
/// the best setting refitted on all training rows and saved (<c>--no-refit</c>: the best trial's own model).
/// </summary>
public static class TuneCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var flags = new TrainingFlags();
        flags.ValidationFraction.DefaultValueFactory = _ => 0.2;
        var own = new TuneFlags();
        var command = new Command("tune", "Search learning rate, λ2, batch size and epochs on a validation split or by k-fold cross-validation, then refit the best on all training rows");
        flags.AddTo(command);
        own.AddTo(command);
        command.SetAction(parse => global.Run(parse, (ui, token) => Run(ui, TunePlan.Parse(parse, flags, own), token)));
        return command;
    }

    /// <summary>Runs every trial of <paramref name="plan"/> on its engine, saves the best model and reports.</summary>
    public static int Run(Ui ui, TunePlan plan, CancellationToken token)
    {
        var (train, test) = TrainCommand.LoadData(ui, plan.TrainSource, plan.TestSource);
        using var engine = TrainingEngine.Open(plan.Device, ui);
        var (ranked, models) = RunTrials(ui, plan, engine, train, token);
        if (ranked.Count == 0 || ranked[0].Diverged) throw new TrainingDivergedException("Every trial diverged: try smaller learning rates (--lr-grid) or L-BFGS.");
        var winner = ranked[0];
        var bestOptions = engine.Apply(plan.OptionsOf(winner.Index - 1));
        if (plan.Refit) ui.Note($"refitting the best setting (trial {winner.Index}) on all {train.Rows} training rows");
        var bestModel = plan.Refit ? SoftmaxTrainer.Fit(train, bestOptions with { ValidationFraction = 0, Patience = 0 }, null, token).Model : models[winner.Index];
        ModelFile.Save(bestModel, plan.ModelPath);
        double? testAccuracy = test is null ? null : Scoring.Accuracy(bestModel, test);
        var written = new List<string> { plan.ModelPath };
        int k = plan.Folds;
        if (plan.PlotDir is { } dir)
            written.AddRange(SweepCurves.Save(ranked, bestOptions.Solver == SolverKind.Lbfgs, dir, $"{train.Name ?? plan.TrainSource.Spec}: {(k > 0 ? $"fold 1 of {k}" : "validation split")}"));
        Print(ui, ranked, k, testAccuracy, plan.ModelPath, plan.Refit);
        if (plan.MetricsPath is { } path)
        {
            TuneMetrics.Write(path, bestModel, ranked, k, plan.Refit, testAccuracy);
            written.Add(path);
        }
        ui.Note($"written: {string.Join(", ", written.Where(f => !f.EndsWith(".svg", StringComparison.Ordinal)))}");
        return 0;
    }

    /// <summary>Scores every setting under one progress bar; returns the trials best first and the models kept.</summary>
    private static (List<Trial> Ranked, Dictionary<int, SoftmaxModel> Models) RunTrials(Ui ui, TunePlan plan, TrainingEngine engine, Dataset train, CancellationToken token)
    {
        var results = new List<Trial>();
        var models = new Dictionary<int, SoftmaxModel>();
        var settings = plan.Settings;
        int k = plan.Folds;
        ui.WithProgress("tuning", bar =>
        {
            for (int i = 0; i < settings.Count && !token.IsCancellationRequested; i++)
            {
                var s = settings[i];
                bar.Update(i, settings.Count, $"trial {i + 1}/{settings.Count}: lr {Ui.F(s.Lr)} l2 {Ui.F(s.L2)} batch {s.Batch} epochs {s.Epochs}", force: true);
                var options = engine.Apply(plan.OptionsOf(i));
                var (trial, fitted) = k > 0 ? CrossValidated(i + 1, s, train, options, k, token) : OneSplit(i + 1, s, train, options, token);
                results.Add(trial with { MiniBatch = plan.BaseOptions.Solver != SolverKind.Lbfgs });
                if (fitted is not null) models[trial.Index] = fitted;
            }
            bar.Update(settings.Count, settings.Count, "done", force: true);
            return 0;
        });
        return (Rank(results), models);
    }

    private static (Trial, SoftmaxModel?) OneSplit(int index, TuneSetting s, Dataset train, TrainingOptions options, CancellationToken token)
    {
        try
        {
            var r = SoftmaxTrainer.Fit(train, options, null, token);
            var score = Evaluation.Run(r.Model, r.Validation!);
            string status = TrainingHealth.Diverged(r) is { } why ? $"diverged: {why}" : r.Solver.Reason.ToString();
            return (new Trial(index, s.Lr, s.L2, s.Batch, s.Epochs, score.Metrics.Accuracy, double.NaN, score.Metrics.LogLoss, double.NaN, r.Objective,
                r.Elapsed.TotalSeconds, status, r.Solver.History), r.Model);
        }
        catch (TrainingDivergedException e)
        {
            return (Failed(index, s, e.Message), null);
        }
    }

    private static (Trial, SoftmaxModel?) CrossValidated(int index, TuneSetting s, Dataset train, TrainingOptions options, int k, CancellationToken token)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cv = CrossValidation.Run(train, options, k, token);
        var firstBad = cv.Folds.FirstOrDefault(f => f.Diverged is not null);
        if (firstBad is not null) return (Failed(index, s, $"fold {firstBad.Fold + 1}: {firstBad.Diverged}") with { Seconds = clock.Elapsed.TotalSeconds }, null);
        return (new Trial(index, s.Lr, s.L2, s.Batch, s.Epochs, cv.MeanAccuracy, cv.StdAccuracy, cv.MeanLogLoss, cv.StdLogLoss,
            cv.Folds.Average(f => f.Objective), clock.Elapsed.TotalSeconds, $"{k} folds", cv.Folds[0].History)
        {
            FoldAccuracies = cv.Folds.Select(f => f.Accuracy).ToArray(),
        }, null);
    }

    private static Trial Failed(int index, TuneSetting s, string why) =>
        new(index, s.Lr, s.L2, s.Batch, s.Epochs, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0,
            "diverged: " + why.Split('.')[0], []);

    /// <summary>Best first: healthy trials by validation accuracy, then log-loss; diverged trials last.</summary>
    public static List<Trial> Rank(IEnumerable<Trial> trials) => trials
        .OrderBy(t => t.Diverged)
        .ThenByDescending(t => double.IsNaN(t.ValidationAccuracy) ? double.NegativeInfinity : t.ValidationAccuracy)
        .ThenBy(t => double.IsNaN(t.ValidationLogLoss) ? double.PositiveInfinity : t.ValidationLogLoss)
        .ThenBy(t => t.Index).ToList();

    private static void Print(Ui ui, List<Trial> ranked, int k, double? testAccuracy, string modelPath, bool refit)
    {
        string PlusMinus(double mean, double std, string format) => k > 0 && !double.IsNaN(std) ? $"{Ui.F(mean, format)} ± {Ui.F(std, format)}" : Ui.F(mean, format);
        string scoredOn = k > 0 ? $"mean ± std over {k} folds" : "validation split";
        ui.Table($"trials, best first ({scoredOn})", ["rank", "lr", "l2", "batch", "epochs", "val acc", "val log-loss", "objective", "seconds", "status"],
            ranked.Select((t, r) => (IReadOnlyList<string>)[Ui.I(r + 1), t.MiniBatch ? Ui.F(t.LearningRate) : "-", Ui.F(t.L2), t.MiniBatch ? Ui.I(t.BatchSize) : "-", t.MiniBatch ? Ui.I(t.Epochs) : "-",
                PlusMinus(t.ValidationAccuracy, t.AccuracyStd, "F4"), PlusMinus(t.ValidationLogLoss, t.LogLossStd, "F4"), Ui.F(t.Objective, "G6"),
                Ui.F(t.Seconds, "F2"), t.Status]));
        var w = ranked[0];
        ui.Summary("best", new List<(string, string)>
        {
            ("setting", w.Label),
            ("validation accuracy", PlusMinus(w.ValidationAccuracy, w.AccuracyStd, "F4")),
            ("validation log-loss", PlusMinus(w.ValidationLogLoss, w.LogLossStd, "F4")),
            ("saved model", refit ? "refitted on all training rows" : "the trial's own (validation rows held out)"),
            ("test accuracy", testAccuracy is { } ta ? Ui.F(ta, "F4") : "n/a"),
            ("model", modelPath),
        });
    }
}

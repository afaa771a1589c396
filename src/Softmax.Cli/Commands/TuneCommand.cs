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
        var lrGrid = new Option<string?>("--lr-grid") { Description = "Comma-separated learning rates, sgd/adam (default: --lr)" };
        var l2Grid = new Option<string?>("--l2-grid") { Description = "Comma-separated λ2 values (default: --l2)" };
        var batchGrid = new Option<string?>("--batch-size-grid") { Description = "Comma-separated batch sizes, sgd/adam (default: --batch-size)" };
        var epochsGrid = new Option<string?>("--epochs-grid") { Description = "Comma-separated epoch counts, sgd/adam (default: --epochs)" };
        var search = new Option<string>("--search") { Description = "grid (every combination) or random (log-uniform within each grid's range)", DefaultValueFactory = _ => "grid" };
        search.AcceptOnlyFromAmong("grid", "random");
        var trials = new Option<int>("--trials") { Description = "Trials for random search", DefaultValueFactory = _ => 20 };
        var folds = new Option<int>("--folds") { Description = "Score each setting by stratified K-fold cross-validation on the training rows (mean ± std) instead of one validation split (0: one split)", DefaultValueFactory = _ => 0 };
        var noRefit = new Option<bool>("--no-refit") { Description = "Save the best trial's model (fit without its validation rows) instead of refitting the best setting on all training rows" };
        var model = new Option<string>("--model") { Description = "Where to write the best model", DefaultValueFactory = _ => "model.softmax" };
        var metrics = new Option<string?>("--metrics-json") { Description = "Write every trial and the best one as JSON" };
        var plots = new Option<string?>("--plots") { Description = "Directory for the overlaid curves of every setting (sweep-loss, sweep-accuracy; PNG and SVG)" };
        var command = new Command("tune", "Search learning rate, λ2, batch size and epochs on a validation split or by k-fold cross-validation, then refit the best on all training rows");
        flags.AddTo(command);
        foreach (Option o in new Option[] { lrGrid, l2Grid, batchGrid, epochsGrid, search, trials, folds, noRefit, model, metrics, plots }) command.Add(o);
        command.SetAction(parse => global.Run(parse, (ui, token) =>
        {
            flags.CheckApplicable(parse, parse.GetValue(flags.Solver)!, lrGrid, batchGrid, epochsGrid);
            var baseOptions = flags.Options(parse);
            int k = parse.GetValue(folds);
            if (k is < 0 or 1) throw new UsageException($"--folds must be 0 (one validation split) or at least 2, not {k}.");
            if (k == 0 && !(baseOptions.ValidationFraction > 0)) throw new UsageException("tune needs a validation split: --validation-fraction must be > 0 (or give --folds K).");
            if (k > 0 && parse.GetValue(noRefit)) throw new UsageException("--no-refit keeps one split's model; with --folds every fold has its own: the best setting is refitted on all training rows.");
            var (trainSource, testSource) = flags.Sources(parse);
            var lrs = Grid(parse.GetValue(lrGrid), "--lr-grid", baseOptions.MiniBatch.LearningRate);
            var l2s = Grid(parse.GetValue(l2Grid), "--l2-grid", baseOptions.L2);
            var batches = Grid(parse.GetValue(batchGrid), "--batch-size-grid", baseOptions.MiniBatch.BatchSize).Select(v => (int)v).ToArray();
            var epochs = Grid(parse.GetValue(epochsGrid), "--epochs-grid", baseOptions.MiniBatch.Epochs).Select(v => (int)v).ToArray();
            var settings = parse.GetValue(search) == "random"
                ? RandomSettings(lrs, l2s, batches, epochs, parse.GetValue(trials), baseOptions.Seed)
                : (from lr in lrs from l2 in l2s from b in batches from e in epochs select (lr, l2, b, e)).ToList();
            if (settings.Count == 0) throw new UsageException("--trials must be at least 1.");
            var (train, test) = TrainCommand.LoadData(ui, trainSource, testSource);

            TrainingOptions OptionsOf((double Lr, double L2, int Batch, int Epochs) s) => (baseOptions with
            {
                L2 = s.L2,
                MiniBatch = baseOptions.MiniBatch with { LearningRate = s.Lr, BatchSize = s.Batch, Epochs = s.Epochs },
            }).Validate();

            var results = new List<Trial>();
            var models = new Dictionary<int, SoftmaxModel>();
            ui.WithProgress("tuning", bar =>
            {
                for (int i = 0; i < settings.Count && !token.IsCancellationRequested; i++)
                {
                    var s = settings[i];
                    bar.Update(i, settings.Count, $"trial {i + 1}/{settings.Count}: lr {Ui.F(s.Item1)} l2 {Ui.F(s.Item2)} batch {s.Item3} epochs {s.Item4}", force: true);
                    var (trial, fitted) = k > 0 ? CrossValidated(i + 1, s, train, OptionsOf(s), k, token) : OneSplit(i + 1, s, train, OptionsOf(s), token);
                    results.Add(trial with { MiniBatch = baseOptions.Solver != SolverKind.Lbfgs });
                    if (fitted is not null) models[trial.Index] = fitted;
                }
                bar.Update(settings.Count, settings.Count, "done", force: true);
                return 0;
            });
            var ranked = Rank(results);
            if (ranked.Count == 0 || ranked[0].Diverged) throw new TrainingDivergedException("Every trial diverged: try smaller learning rates (--lr-grid) or L-BFGS.");
            var winner = ranked[0];
            var bestOptions = OptionsOf(settings[winner.Index - 1]);
            bool refit = !parse.GetValue(noRefit);
            SoftmaxModel bestModel;
            if (refit)
            {
                ui.Note($"refitting the best setting (trial {winner.Index}) on all {train.Rows} training rows");
                bestModel = SoftmaxTrainer.Fit(train, bestOptions with { ValidationFraction = 0, Patience = 0 }, null, token).Model;
            }
            else bestModel = models[winner.Index];
            string modelPath = parse.GetValue(model)!;
            ModelFile.Save(bestModel, modelPath);
            double? testAccuracy = test is null ? null : Scoring.Accuracy(bestModel, test);
            var written = new List<string> { modelPath };
            if (parse.GetValue(plots) is { } dir)
                written.AddRange(SweepCurves.Save(ranked, bestOptions.Solver == SolverKind.Lbfgs, dir, $"{train.Name ?? trainSource.Spec}: {(k > 0 ? $"fold 1 of {k}" : "validation split")}"));
            Print(ui, ranked, k, testAccuracy, modelPath, refit);
            if (parse.GetValue(metrics) is { } path)
            {
                TuneMetrics.Write(path, bestModel, ranked, k, refit, testAccuracy);
                written.Add(path);
            }
            ui.Note($"written: {string.Join(", ", written.Where(f => !f.EndsWith(".svg", StringComparison.Ordinal)))}");
            return 0;
        }));
        return command;
    }

    private static (Trial, SoftmaxModel?) OneSplit(int index, (double Lr, double L2, int Batch, int Epochs) s, Dataset train, TrainingOptions options, CancellationToken token)
    {
        try
        {
            var r = SoftmaxTrainer.Fit(train, options, null, token);
            var score = Evaluation.Run(r.Model, r.Validation!);
            string status = TrainingHealth.Diverged(r) is { } why ? $"diverged: {why}" : r.Solver.Reason.ToString();
            return (new Trial(index, s.Lr, s.L2, s.Batch, s.Epochs, score.Accuracy, double.NaN, score.LogLoss, double.NaN, r.Objective,
                r.Elapsed.TotalSeconds, status, r.Solver.History), r.Model);
        }
        catch (TrainingDivergedException e)
        {
            return (Failed(index, s, e.Message), null);
        }
    }

    private static (Trial, SoftmaxModel?) CrossValidated(int index, (double Lr, double L2, int Batch, int Epochs) s, Dataset train, TrainingOptions options, int k, CancellationToken token)
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

    private static Trial Failed(int index, (double Lr, double L2, int Batch, int Epochs) s, string why) =>
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
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        string PlusMinus(double mean, double std, string format) => k > 0 && !double.IsNaN(std) ? $"{Ui.F(mean, format)} ± {Ui.F(std, format)}" : Ui.F(mean, format);
        string scoredOn = k > 0 ? $"mean ± std over {k} folds" : "validation split";
        ui.Table($"trials, best first ({scoredOn})", ["rank", "lr", "l2", "batch", "epochs", "val acc", "val log-loss", "objective", "seconds", "status"],
            ranked.Select((t, r) => (IReadOnlyList<string>)[I(r + 1), t.MiniBatch ? Ui.F(t.LearningRate) : "-", Ui.F(t.L2), t.MiniBatch ? I(t.BatchSize) : "-", t.MiniBatch ? I(t.Epochs) : "-",
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

    private static double[] Grid(string? text, string flag, double fallback)
    {
        if (string.IsNullOrWhiteSpace(text)) return [fallback];
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < 0)
                throw new UsageException($"{flag}: '{part}' is not a non-negative number.");
            values.Add(v);
        }
        return values.Distinct().ToArray();
    }

    private static List<(double, double, int, int)> RandomSettings(double[] lrs, double[] l2s, int[] batches, int[] epochs, int count, int seed)
    {
        var rng = new Random(seed);
        double LogUniform(double[] grid)
        {
            double lo = grid.Min(), hi = grid.Max();
            if (lo <= 0 || lo == hi) return grid[rng.Next(grid.Length)];
            return Math.Exp(Math.Log(lo) + rng.NextDouble() * (Math.Log(hi) - Math.Log(lo)));
        }
        var list = new List<(double, double, int, int)>();
        for (int i = 0; i < count; i++) list.Add((LogUniform(lrs), LogUniform(l2s), batches[rng.Next(batches.Length)], epochs[rng.Next(epochs.Length)]));
        return list;
    }
}

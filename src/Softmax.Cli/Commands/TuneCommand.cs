using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>One hyper-parameter setting tried by <c>softmax tune</c> and how it scored.</summary>
public sealed record Trial(int Index, double LearningRate, double L2, int BatchSize, int Epochs, double ValidationAccuracy,
    double TrainAccuracy, double Objective, double Seconds, string Status);

/// <summary>
/// <c>softmax tune</c>: grid or random search over learning rate, λ2, batch size and epochs, each scored on a
/// stratified validation split; a table sorted by validation accuracy, and the best model saved. The course's
/// learning-rate sweep is <c>softmax tune --solver sgd --lr-grid 1e-3,1e-2,1e-1,1</c>.
/// </summary>
public static class TuneCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var flags = new TrainingFlags();
        flags.Solver.DefaultValueFactory = _ => "sgd";
        flags.ValidationFraction.DefaultValueFactory = _ => 0.2;
        var lrGrid = new Option<string?>("--lr-grid") { Description = "Comma-separated learning rates (default: --lr)" };
        var l2Grid = new Option<string?>("--l2-grid") { Description = "Comma-separated λ2 values (default: --l2)" };
        var batchGrid = new Option<string?>("--batch-size-grid") { Description = "Comma-separated batch sizes (default: --batch-size)" };
        var epochsGrid = new Option<string?>("--epochs-grid") { Description = "Comma-separated epoch counts (default: --epochs)" };
        var search = new Option<string>("--search") { Description = "grid (every combination) or random (log-uniform within each grid's range)", DefaultValueFactory = _ => "grid" };
        search.AcceptOnlyFromAmong("grid", "random");
        var trials = new Option<int>("--trials") { Description = "Trials for random search", DefaultValueFactory = _ => 20 };
        var model = new Option<string>("--model") { Description = "Where to write the best model", DefaultValueFactory = _ => "model.softmax" };
        var metrics = new Option<string?>("--metrics-json") { Description = "Write every trial and the best one as JSON" };
        var command = new Command("tune", "Search learning rate, λ2, batch size and epochs on a validation split");
        flags.AddTo(command);
        foreach (Option o in new Option[] { lrGrid, l2Grid, batchGrid, epochsGrid, search, trials, model, metrics }) command.Add(o);
        command.SetAction(parse => global.Run(parse, (ui, token) =>
        {
            var baseOptions = flags.Options(parse);
            if (!(baseOptions.ValidationFraction > 0)) throw new UsageException("tune needs a validation split: --validation-fraction must be > 0.");
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

            var results = new List<Trial>();
            TrainingResult? best = null;
            double bestAccuracy = double.NegativeInfinity;
            ui.WithProgress("tuning", bar =>
            {
                for (int i = 0; i < settings.Count && !token.IsCancellationRequested; i++)
                {
                    var (lr, l2, batch, ep) = settings[i];
                    bar.Update(i, settings.Count, $"trial {i + 1}/{settings.Count}: lr {Ui.F(lr)} l2 {Ui.F(l2)} batch {batch} epochs {ep}", force: true);
                    var options = baseOptions with
                    {
                        L2 = l2,
                        MiniBatch = baseOptions.MiniBatch with { LearningRate = lr, BatchSize = batch, Epochs = ep },
                    };
                    try
                    {
                        var r = SoftmaxTrainer.Fit(train, options.Validate(), null, token);
                        double val = Scoring.Accuracy(r.Model, r.Validation!);
                        results.Add(new Trial(i + 1, lr, l2, batch, ep, val, double.NaN, r.Objective, r.Elapsed.TotalSeconds, r.Solver.Reason.ToString()));
                        if (best is null || val > bestAccuracy) { best = r; bestAccuracy = val; }
                    }
                    catch (TrainingDivergedException)
                    {
                        results.Add(new Trial(i + 1, lr, l2, batch, ep, double.NaN, double.NaN, double.NaN, 0, "diverged"));
                    }
                }
                bar.Update(settings.Count, settings.Count, "done", force: true);
                return 0;
            });
            if (best is null) throw new InvalidOperationException("Every trial diverged: try smaller learning rates.");
            string modelPath = parse.GetValue(model)!;
            ModelFile.Save(best.Model, modelPath);
            var ranked = results.OrderByDescending(t => double.IsNaN(t.ValidationAccuracy) ? double.NegativeInfinity : t.ValidationAccuracy).ThenBy(t => t.Index).ToList();
            var winner = ranked[0];
            double? testAccuracy = test is null ? null : Scoring.Accuracy(best.Model, test);
            string I(int v) => v.ToString(CultureInfo.InvariantCulture);
            ui.Table("trials, best first (validation accuracy)", ["rank", "lr", "l2", "batch", "epochs", "val acc", "objective", "seconds", "status"],
                ranked.Select((t, r) => (IReadOnlyList<string>)[I(r + 1), Ui.F(t.LearningRate), Ui.F(t.L2), I(t.BatchSize), I(t.Epochs),
                    Ui.F(t.ValidationAccuracy, "F4"), Ui.F(t.Objective, "G6"), Ui.F(t.Seconds, "F2"), t.Status]));
            ui.Summary("best", new List<(string, string)>
            {
                ("lr", Ui.F(winner.LearningRate)), ("l2", Ui.F(winner.L2)), ("batch size", I(winner.BatchSize)), ("epochs", I(winner.Epochs)),
                ("validation accuracy", Ui.F(winner.ValidationAccuracy, "F4")),
                ("test accuracy", testAccuracy is { } ta ? Ui.F(ta, "F4") : "n/a"),
                ("model", modelPath),
            });
            if (parse.GetValue(metrics) is { } path)
                JsonOut.WriteFile(path, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("solver", best.Model.Training.Solver);
                    w.Number("best_validation_accuracy", winner.ValidationAccuracy);
                    w.Number("test_accuracy", testAccuracy);
                    w.WriteNumber("best_trial", winner.Index);
                    w.WriteStartArray("trials");
                    foreach (var t in ranked)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("trial", t.Index);
                        w.Number("lr", t.LearningRate);
                        w.Number("l2", t.L2);
                        w.WriteNumber("batch_size", t.BatchSize);
                        w.WriteNumber("epochs", t.Epochs);
                        w.Number("validation_accuracy", t.ValidationAccuracy);
                        w.Number("objective", t.Objective);
                        w.Number("seconds", t.Seconds);
                        w.WriteString("status", t.Status);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            return 0;
        }));
        return command;
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

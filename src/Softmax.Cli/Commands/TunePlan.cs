using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Gpu;
using Softmax.Model;

namespace Softmax.Cli.Commands;

/// <summary>One setting <c>softmax tune</c> tries: learning rate, λ2, batch size and epochs.</summary>
public sealed record TuneSetting(double Lr, double L2, int Batch, int Epochs);

/// <summary>What one <c>softmax tune</c> will try, decided from the flags before any work.</summary>
public sealed record TunePlan
{
    /// <summary>The options every trial starts from (no engine plugged in yet).</summary>
    public required TrainingOptions BaseOptions { get; init; }
    /// <summary>The engine, opened by the run.</summary>
    public required ComputeDevice Device { get; init; }
    /// <summary>The settings to try, in order: (learning rate, λ2, batch size, epochs).</summary>
    public required IReadOnlyList<TuneSetting> Settings { get; init; }
    /// <summary>--folds (0: one validation split).</summary>
    public int Folds { get; init; }
    /// <summary>Refit the best setting on all training rows (not --no-refit).</summary>
    public bool Refit { get; init; }
    /// <summary>--data.</summary>
    public required DataSource TrainSource { get; init; }
    /// <summary>--test.</summary>
    public DataSource? TestSource { get; init; }
    /// <summary>--model.</summary>
    public required string ModelPath { get; init; }
    /// <summary>--metrics-json.</summary>
    public string? MetricsPath { get; init; }
    /// <summary>--plots.</summary>
    public string? PlotDir { get; init; }

    /// <summary>The validated options of setting <paramref name="index"/>.</summary>
    public TrainingOptions OptionsOf(int index)
    {
        var s = Settings[index];
        return (BaseOptions with
        {
            L2 = s.L2,
            MiniBatch = BaseOptions.MiniBatch with { LearningRate = s.Lr, BatchSize = s.Batch, Epochs = s.Epochs },
        }).Validate();
    }

    /// <summary>Reads and checks the flags of <c>softmax tune</c>.</summary>
    public static TunePlan Parse(ParseResult p, TrainingFlags flags, TuneFlags own)
    {
        flags.CheckApplicable(p, p.GetValue(flags.Solver)!, own.LrGrid, own.BatchGrid, own.EpochsGrid);
        var baseOptions = flags.Options(p);
        int k = p.GetValue(own.Folds);
        if (k is < 0 or 1) throw new UsageException($"--folds must be 0 (one validation split) or at least 2, not {k}.");
        if (k == 0 && !(baseOptions.ValidationFraction > 0)) throw new UsageException("tune needs a validation split: --validation-fraction must be > 0 (or give --folds K).");
        if (k > 0 && p.GetValue(own.NoRefit)) throw new UsageException("--no-refit keeps one split's model; with --folds every fold has its own: the best setting is refitted on all training rows.");
        var device = flags.DeviceChoice(p, baseOptions);
        var (trainSource, testSource) = flags.Sources(p);
        var lrs = Grid(p.GetValue(own.LrGrid), "--lr-grid", baseOptions.MiniBatch.LearningRate);
        var l2s = Grid(p.GetValue(own.L2Grid), "--l2-grid", baseOptions.L2);
        var batches = Grid(p.GetValue(own.BatchGrid), "--batch-size-grid", baseOptions.MiniBatch.BatchSize).Select(v => (int)v).ToArray();
        var epochs = Grid(p.GetValue(own.EpochsGrid), "--epochs-grid", baseOptions.MiniBatch.Epochs).Select(v => (int)v).ToArray();
        var settings = p.GetValue(own.Search) == "random"
            ? RandomSettings(lrs, l2s, batches, epochs, p.GetValue(own.Trials), baseOptions.Seed)
            : (from lr in lrs from l2 in l2s from b in batches from e in epochs select new TuneSetting(lr, l2, b, e)).ToList();
        if (settings.Count == 0) throw new UsageException("--trials must be at least 1.");
        var plan = new TunePlan
        {
            BaseOptions = baseOptions, Device = device, Settings = settings, Folds = k, Refit = !p.GetValue(own.NoRefit),
            TrainSource = trainSource, TestSource = testSource, ModelPath = p.GetValue(own.Model)!,
            MetricsPath = p.GetValue(own.Metrics), PlotDir = p.GetValue(own.Plots),
        };
        for (int i = 0; i < settings.Count; i++) plan.OptionsOf(i);   // every setting is valid before the first trial runs
        return plan;
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

    private static List<TuneSetting> RandomSettings(double[] lrs, double[] l2s, int[] batches, int[] epochs, int count, int seed)
    {
        var rng = new Random(seed);
        double LogUniform(double[] grid)
        {
            double lo = grid.Min(), hi = grid.Max();
            if (lo <= 0 || lo == hi) return grid[rng.Next(grid.Length)];
            return Math.Exp(Math.Log(lo) + rng.NextDouble() * (Math.Log(hi) - Math.Log(lo)));
        }
        return Enumerable.Range(0, count)
            .Select(_ => new TuneSetting(LogUniform(lrs), LogUniform(l2s), batches[rng.Next(batches.Length)], epochs[rng.Next(epochs.Length)])).ToList();
    }
}

/// <summary>The flags of <c>softmax tune</c> beyond the shared <see cref="TrainingFlags"/>.</summary>
public sealed class TuneFlags() : OutputFlags("Where to write the best model", "Write every trial and the best one as JSON",
    "Directory for the overlaid curves of every setting (sweep-loss, sweep-accuracy; PNG and SVG)")
{
    /// <summary>--lr-grid.</summary>
    public Option<string?> LrGrid { get; } = new("--lr-grid") { Description = "Comma-separated learning rates, sgd/adam (default: --lr)" };
    /// <summary>--l2-grid.</summary>
    public Option<string?> L2Grid { get; } = new("--l2-grid") { Description = "Comma-separated λ2 values (default: --l2)" };
    /// <summary>--batch-size-grid.</summary>
    public Option<string?> BatchGrid { get; } = new("--batch-size-grid") { Description = "Comma-separated batch sizes, sgd/adam (default: --batch-size)" };
    /// <summary>--epochs-grid.</summary>
    public Option<string?> EpochsGrid { get; } = new("--epochs-grid") { Description = "Comma-separated epoch counts, sgd/adam (default: --epochs)" };
    /// <summary>--search.</summary>
    public Option<string> Search { get; } =
        new Option<string>("--search") { Description = "grid (every combination) or random (log-uniform within each grid's range)", DefaultValueFactory = _ => "grid" }.AcceptOnlyFromAmong("grid", "random");
    /// <summary>--trials.</summary>
    public Option<int> Trials { get; } = new("--trials") { Description = "Trials for random search", DefaultValueFactory = _ => 20 };
    /// <summary>--folds.</summary>
    public Option<int> Folds { get; } = new("--folds") { Description = "Score each setting by stratified K-fold cross-validation on the training rows (mean ± std) instead of one validation split (0: one split)", DefaultValueFactory = _ => 0 };
    /// <summary>--no-refit.</summary>
    public Option<bool> NoRefit { get; } = new("--no-refit") { Description = "Save the best trial's model (fit without its validation rows) instead of refitting the best setting on all training rows" };

    /// <summary>Adds every flag to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { LrGrid, L2Grid, BatchGrid, EpochsGrid, Search, Trials, Folds, NoRefit, Model, Metrics, Plots }) command.Add(o);
    }
}

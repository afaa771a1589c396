using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Gpu;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>The data and training flags shared by <c>train</c> and <c>tune</c> (names fixed by the CLI contract).</summary>
public sealed class TrainingFlags() : DataFlags("Dataset name (digits, fashion-mnist, mnist, cifar10) or a file/directory",
    "CSV label column, by header name or 0-based index (negative: from the end)")
{
    /// <summary>--test.</summary>
    public Option<string?> Test { get; } = new("--test") { Description = "Test set (name or path); default: the named dataset's own test split" };
    /// <summary>--solver.</summary>
    public Option<string> Solver { get; } = new Option<string>("--solver") { Description = "lbfgs, sgd or adam", DefaultValueFactory = _ => "lbfgs" }.AcceptOnlyFromAmong("lbfgs", "sgd", "adam");
    /// <summary>--l2.</summary>
    public Option<double?> L2 { get; } = new("--l2") { Description = $"λ2, the L2 penalty on W (bias not penalised); default {Ui.F(DefaultL2)}, for digits {Ui.F(DigitsL2)} (docs/experiments/digits-lambda.md)" };
    /// <summary>--l1.</summary>
    public Option<double> L1 { get; } = new("--l1") { Description = "λ1, the L1 penalty on W (L-BFGS becomes OWL-QN)", DefaultValueFactory = _ => 0 };
    /// <summary>--epochs.</summary>
    public Option<int?> Epochs { get; } = new("--epochs") { Description = "Epochs for sgd/adam (default 20)" };
    /// <summary>--max-iter.</summary>
    public Option<int?> MaxIter { get; } = new("--max-iter") { Description = "Iteration limit for lbfgs (default 1000)" };
    /// <summary>--tol.</summary>
    public Option<double?> Tol { get; } = new("--tol") { Description = "lbfgs: converged when the largest |entry| of the gradient of F (a mean over rows) is ≤ this, in float64 (scikit-learn's tol; default 1e-6)" };
    /// <summary>--ftol.</summary>
    public Option<double?> Ftol { get; } = new("--ftol") { Description = "lbfgs: also stop when F's relative decrease per iteration (averaged over 5) falls below this (default: off)" };
    /// <summary>--precision.</summary>
    public Option<string> Precision { get; } = new Option<string>("--precision") { Description = "auto (float32 passes, float64 polish; float64 outright on small data), float32 or float64", DefaultValueFactory = _ => "auto" }.AcceptOnlyFromAmong("auto", "float32", "float64");
    /// <summary>--lr.</summary>
    public Option<double?> Lr { get; } = new("--lr") { Description = "Learning rate for sgd/adam (default 0.1)" };
    /// <summary>--batch-size.</summary>
    public Option<int?> BatchSize { get; } = new("--batch-size") { Description = "Mini-batch size (default 256)" };
    /// <summary>--momentum.</summary>
    public Option<double> Momentum { get; } = new("--momentum") { Description = "SGD momentum μ", DefaultValueFactory = _ => 0 };
    /// <summary>--nesterov.</summary>
    public Option<bool> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum for sgd" };
    /// <summary>--schedule.</summary>
    public Option<string> Schedule { get; } = new("--schedule") { Description = "constant, step:EVERY:GAMMA, inverse:DECAY or cosine[:MIN_FRACTION]", DefaultValueFactory = _ => "constant" };
    /// <summary>--sampling.</summary>
    public Option<string> Sampling { get; } = new Option<string>("--sampling") { Description = "shuffle (each row once per epoch) or replacement (as the course code)", DefaultValueFactory = _ => "shuffle" }.AcceptOnlyFromAmong("shuffle", "replacement");
    /// <summary>--seed.</summary>
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed for splits and batch order", DefaultValueFactory = _ => 0 };
    /// <summary>--threads.</summary>
    public Option<int> Threads { get; } = new("--threads") { Description = "Worker threads (0: all cores); same seed and threads give bit-identical weights", DefaultValueFactory = _ => 0 };
    /// <summary>--preprocess.</summary>
    public Option<string?> Preprocess { get; } = new Option<string?>("--preprocess") { Description = "none, scale (divide by the data's declared range: 255 for 8-bit images, 16 for digits; 255 when none is declared), center or standardize. Default: scale for data with a declared range (every named set, IDX, CIFAR, uint8 npy), none otherwise" }.AcceptOnlyFromAmong("none", "scale", "center", "standardize");
    /// <summary>--validation-fraction.</summary>
    public Option<double> ValidationFraction { get; } = new("--validation-fraction") { Description = "Fraction of training rows held out (stratified) for validation", DefaultValueFactory = _ => 0 };
    /// <summary>--patience.</summary>
    public Option<int> Patience { get; } = new("--patience") { Description = "Early stopping: stop after this many validations (epochs; every 5 iterations for lbfgs) in which the validation loss did not fall by more than --min-delta, and keep the weights with the lowest validation loss (needs --validation-fraction)", DefaultValueFactory = _ => 0 };
    /// <summary>--min-delta.</summary>
    public Option<double> MinDelta { get; } = new("--min-delta") { Description = "Least fall of the validation loss (nats) that counts as an improvement for --patience", DefaultValueFactory = _ => 0 };
    /// <summary>--class-weight.</summary>
    public Option<string?> ClassWeight { get; } = new Option<string?>("--class-weight") { Description = "'balanced' for scikit-learn's balanced class weights" }.AcceptOnlyFromAmong("balanced", "none");

    /// <summary>--weight-column.</summary>
    public Option<string?> WeightColumn { get; } = new("--weight-column") { Description = "CSV column of non-negative sample weights (by header name or index)" };
    /// <summary>--id-column.</summary>
    public Option<string?> IdColumn { get; } = new("--id-column") { Description = "CSV column of row ids: not a feature" };
    /// <summary>--ignore-columns.</summary>
    public Option<string?> IgnoreColumns { get; } = new("--ignore-columns") { Description = "Comma-separated CSV columns that are not features" };
    /// <summary>--nan-missing.</summary>
    public Option<bool> NanMissing { get; } = new("--nan-missing") { Description = "Read NaN in CSV as a missing value (empty and NA always are); missing values are imputed with the training mean or mode" };
    /// <summary>--missing-indicator.</summary>
    public Option<bool> MissingIndicator { get; } = new("--missing-indicator") { Description = "Add a 0/1 feature per CSV column that has missing training values" };

    /// <summary>--device.</summary>
    public Option<string> Device { get; } = new Option<string>("--device") { Description = "cpu, cuda, or auto (CUDA when present, else the CPU with a notice)", DefaultValueFactory = _ => "cpu" }.AcceptOnlyFromAmong("auto", "cpu", "cuda");

    /// <summary>Adds every flag to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Data, Test, Format, Label, Solver, L2, L1, Epochs, MaxIter, Tol, Lr, BatchSize,
                     Momentum, Nesterov, Schedule, Sampling, Seed, Threads, Preprocess, ValidationFraction, Patience, MinDelta, ClassWeight, Device,
                     Ftol, Precision, WeightColumn, IdColumn, IgnoreColumns, NanMissing, MissingIndicator })
            command.Add(o);
    }

    /// <summary>λ2 when --l2 is not given.</summary>
    public const double DefaultL2 = 1e-4;

    /// <summary>
    /// λ2 for the embedded digits set when --l2 is not given: the largest λ whose 5-fold cross-validated log-loss on
    /// the training split (pixels scaled by 1/16) is within one standard error of the lowest (the one-standard-error
    /// rule), measured by docs/experiments/digits-lambda.sh; the table is in docs/experiments/digits-lambda.md.
    /// </summary>
    public const double DigitsL2 = 2e-4;

    /// <summary>True when <paramref name="option"/> was typed on the command line (not just defaulted).</summary>
    public static bool IsGiven(ParseResult p, Option option) => p.GetResult(option) is { Implicit: false };

    /// <summary>
    /// A flag that the chosen solver ignores is an error that names the flags it does read (a forgotten
    /// <c>--solver sgd</c> would otherwise turn a learning-rate sweep into the same run repeated).
    /// </summary>
    public void CheckApplicable(ParseResult p, string solver, params Option[] extraMiniBatch)
    {
        string Names(IEnumerable<Option> flags) => string.Join(", ", flags.Select(f => f.Name));
        Option[] lbfgs = [MaxIter, Tol, Ftol], sgd = [Momentum, Nesterov], miniBatch = [Lr, Epochs, BatchSize, Schedule, Sampling, .. extraMiniBatch];
        var wrong = solver switch { "lbfgs" => miniBatch.Concat(sgd), "adam" => lbfgs.Concat(sgd), _ => lbfgs.AsEnumerable() };
        foreach (var flag in wrong.Where(f => IsGiven(p, f)))
        {
            string owner = lbfgs.Contains(flag) ? "--solver lbfgs" : sgd.Contains(flag) ? "--solver sgd" : "--solver sgd or adam";
            string reads = Names(solver switch { "lbfgs" => lbfgs, "adam" => miniBatch, _ => miniBatch.Concat(sgd) });
            string given = IsGiven(p, Solver) ? "" : " (the default here)";
            throw new UsageException($"{flag.Name} applies to {owner} only, and this run uses --solver {solver}{given}. "
                + $"The flags {solver} reads: {reads}.");
        }
    }

    /// <summary>The data sources named by --data and --test.</summary>
    public (DataSource Train, DataSource? Test) Sources(ParseResult p)
    {
        var train = Source(p) with { Tabular = Tabular(p) };
        if (p.GetValue(Test) is not { Length: > 0 } spec) return (train, null);
        DataSource.CheckSpec(spec, "--test");
        return (train, train with { Spec = spec });
    }

    /// <summary>The tabular CSV settings: column roles, missing values, and the split the featurization is fitted on.</summary>
    public TabularSettings Tabular(ParseResult p) => new()
    {
        Columns = new TabularCsvOptions
        {
            WeightColumn = p.GetValue(WeightColumn),
            IdColumn = p.GetValue(IdColumn),
            IgnoreColumns = p.GetValue(IgnoreColumns)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [],
            NanIsMissing = p.GetValue(NanMissing),
        },
        MissingIndicators = p.GetValue(MissingIndicator),
        HoldoutFraction = p.GetValue(ValidationFraction),
        Seed = p.GetValue(Seed),
    };

    /// <summary>Builds validated training options from the flags.</summary>
    public TrainingOptions Options(ParseResult p)
    {
        string solver = p.GetValue(Solver)!;
        CheckApplicable(p, solver);
        var kind = solver switch { "sgd" => SolverKind.Sgd, "adam" => SolverKind.Adam, _ => SolverKind.Lbfgs };
        var lbfgs = new LbfgsOptions();
        if (p.GetValue(Tol) is { } tol) lbfgs = lbfgs with { GradientTolerance = UsageException.Check(tol, tol >= 0, "--tol", "≥ 0") };
        if (p.GetValue(MaxIter) is { } maxIter) lbfgs = lbfgs with { MaxIterations = maxIter };
        if (p.GetValue(Ftol) is { } ftol) lbfgs = lbfgs with { RelativeTolerance = UsageException.Check(ftol, ftol >= 0, "--ftol", "≥ 0") };
        int seed = p.GetValue(Seed);
        var mini = new MiniBatchOptions { Seed = seed, Schedule = LearningRateSchedule.Parse(p.GetValue(Schedule)!) };
        if (p.GetValue(Lr) is { } lr) mini = mini with { LearningRate = lr };
        if (p.GetValue(BatchSize) is { } bs) mini = mini with { BatchSize = bs };
        if (p.GetValue(Epochs) is { } ep) mini = mini with { Epochs = ep };
        if (p.GetValue(Sampling) == "replacement") mini = mini with { Sampling = BatchSampling.WithReplacement };
        var options = new TrainingOptions
        {
            Solver = kind,
            L2 = p.GetValue(L2) ?? (DataSource.IsName(p.GetValue(Data)!) && NamedDatasets.Canonical(p.GetValue(Data)!) == "digits" ? DigitsL2 : DefaultL2),
            L1 = p.GetValue(L1),
            Seed = seed,
            Engine = new CpuEngineOptions(Threads: p.GetValue(Threads)),
            Lbfgs = lbfgs,
            MiniBatch = mini,
            Momentum = p.GetValue(Momentum),
            Nesterov = p.GetValue(Nesterov),
            Preprocess = ParsePreprocess(p.GetValue(Preprocess)),
            ValidationFraction = p.GetValue(ValidationFraction),
            Patience = p.GetValue(Patience),
            MinDelta = p.GetValue(MinDelta),
            BalancedClassWeights = p.GetValue(ClassWeight) == "balanced",
            Precision = p.GetValue(Precision) switch { "float32" => Engine.Precision.Float32, "float64" => Engine.Precision.Float64, _ => Engine.Precision.Auto },
        };
        if (IsGiven(p, MinDelta) && options.Patience == 0)
            throw new UsageException("--min-delta applies to early stopping: give --patience (and --validation-fraction) too.");
        if (options.Patience > 0 && options.ValidationFraction <= 0)
            throw new UsageException("--patience needs a validation set: give --validation-fraction too.");
        return options.Validate();
    }

    /// <summary>The --preprocess value (one of its accepted names, or null for the data's default).</summary>
    public static PreprocessKind? ParsePreprocess(string? name) =>
        name is null ? null : Enum.Parse<PreprocessKind>(name, ignoreCase: true);

    /// <summary>
    /// The engine --device asks for, checked against the options at parse time; the run opens it
    /// (<see cref="TrainingEngine.Open"/>). The GPU computes in float32: --precision float64 would run every pass
    /// on the CPU, so that pair is refused rather than quietly falling back.
    /// </summary>
    public ComputeDevice DeviceChoice(ParseResult p, TrainingOptions options)
    {
        var device = GpuEngine.ParseDevice(p.GetValue(Device)!);
        if (device != ComputeDevice.Cpu && options.Precision == Engine.Precision.Float64)
            throw new UsageException($"--device {p.GetValue(Device)} computes in float32 (auto precision: float32 passes on the device, a float64 polish on the CPU); "
                + "--precision float64 would run every pass on the CPU. Use --precision auto or float32, or --device cpu.");
        return device;
    }

    /// <summary>The settings that decide a run's trajectory, as text: stored in checkpoints and compared on resume.</summary>
    public static Dictionary<string, string> Describe(TrainingOptions o, DataSource train)
    {
        string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var c = train.Tabular.Columns;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["data"] = train.Spec,
            ["format"] = train.Format.ToString(),
            ["label_column"] = train.LabelColumn ?? "",
            ["tabular"] = $"{c.WeightColumn}|{c.IdColumn}|{string.Join(',', c.IgnoreColumns)}|{c.NanIsMissing}|{train.Tabular.MissingIndicators}",
            ["solver"] = o.Solver.ToString().ToLowerInvariant(),
            ["l2"] = D(o.L2),
            ["l1"] = D(o.L1),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            ["threads"] = o.Engine.EffectiveThreads.ToString(CultureInfo.InvariantCulture),
            ["preprocess"] = o.Preprocess?.ToString() ?? "default",
            ["validation_fraction"] = D(o.ValidationFraction),
            ["lr"] = D(o.MiniBatch.LearningRate),
            ["batch_size"] = o.MiniBatch.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["schedule"] = o.MiniBatch.Schedule.ToString() ?? "",
            ["sampling"] = o.MiniBatch.Sampling.ToString(),
            ["momentum"] = D(o.Momentum),
            ["nesterov"] = o.Nesterov ? "true" : "false",
            ["lbfgs_history"] = o.Lbfgs.History?.ToString(CultureInfo.InvariantCulture) ?? "auto",
            ["class_weight"] = o.BalancedClassWeights ? "balanced" : "none",
            ["epochs"] = o.MiniBatch.Epochs.ToString(CultureInfo.InvariantCulture),
            ["max_iter"] = o.Lbfgs.MaxIterations.ToString(CultureInfo.InvariantCulture),
            ["tol"] = D(o.Lbfgs.RelativeTolerance) + "/" + D(o.Lbfgs.GradientTolerance),
            ["precision"] = o.Precision.ToString().ToLowerInvariant(),
            ["patience"] = o.Patience.ToString(CultureInfo.InvariantCulture),
            ["min_delta"] = D(o.MinDelta),
            ["engine"] = o.LossFactory is null ? "cpu" : "gpu",
        };
    }
}

using System.Diagnostics;
using System.Globalization;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Model;

/// <summary>The outcome of <see cref="SoftmaxTrainer.Fit"/>.</summary>
/// <param name="Model">The trained model (finite; with the fitted preprocessing).</param>
/// <param name="Solver">The solver's report: iterations, stop reason, history.</param>
/// <param name="Objective">F on the (preprocessed) training rows at the returned weights, in float64 accumulation.</param>
/// <param name="Validation">The held-out rows, raw, when a validation fraction was given.</param>
/// <param name="Elapsed">Wall time of the solver.</param>
public sealed record TrainingResult(SoftmaxModel Model, SolverResult Solver, double Objective, Dataset? Validation, TimeSpan Elapsed)
{
    /// <summary>
    /// The rows the solver fitted, raw (the data less <see cref="Validation"/>), when they are in memory; null for
    /// streamed and distributed training. Score train accuracy and curves on these: never split the data again.
    /// </summary>
    public Dataset? Train { get; init; }
}

/// <summary>What a training run is told besides its options and rows: validation rows, progress, cancellation, checkpoints.</summary>
public sealed record TrainingHooks
{
    /// <summary>Held-out rows (raw, in memory) scored for early stopping with <see cref="TrainingOptions.Patience"/>; every worker scores them alike.</summary>
    public Dataset? Validation { get; init; }
    /// <summary>Progress sink, or null.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Stops training cleanly; the best weights so far are returned.</summary>
    public CancellationToken CancellationToken { get; init; }
    /// <summary>A state to continue from, bit-identically to the uninterrupted run (same data, block size and threads; the CPU
    /// engine's block sizes follow the host's caches, so resume on the same host or pin them with SOFTMAX_CACHE_SIZES).</summary>
    public SolverState? ResumeFrom { get; init; }
    /// <summary>Receives the solver's state every <see cref="CheckpointEvery"/> epochs (L-BFGS: iterations).</summary>
    public Action<SolverState>? Checkpoint { get; init; }
    /// <summary>Every how many epochs (L-BFGS: iterations) <see cref="Checkpoint"/> is called.</summary>
    public int CheckpointEvery { get; init; } = 1;
}

/// <summary>
/// Fits a <see cref="SoftmaxModel"/>, whatever the rows' home: options → data view (<see cref="TrainingView"/>: in
/// memory, a streamed file, a worker's shard) → preprocessing → loss → solver → result. The default preprocessing,
/// balanced class weights, the solver, early stopping, checkpoints, the float64 F, the divergence check and the model
/// are decided here once for every mode. Never prints; reports through <see cref="IProgress{T}"/>.
/// </summary>
public static class SoftmaxTrainer
{
    /// <summary>Trains on <paramref name="data"/> (raw features); splits off the validation rows first when asked.</summary>
    public static TrainingResult Fit(Dataset data, TrainingOptions options, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default, SolverState? resumeFrom = null, Action<SolverState>? checkpoint = null, int checkpointEvery = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (data.Rows == 0) throw new ArgumentException("The training data have no rows.", nameof(data));
        Dataset train = data;
        Dataset? validation = null;
        if (options.ValidationFraction > 0) (train, validation) = data.Split(options.ValidationFraction, options.Seed);
        var hooks = new TrainingHooks
        {
            Validation = validation, Progress = progress, CancellationToken = cancellationToken,
            ResumeFrom = resumeFrom, Checkpoint = checkpoint, CheckpointEvery = checkpointEvery,
        };
        var result = FitView(new InMemoryView(train), options, hooks);
        return result with { Train = train };
    }

    /// <summary>
    /// Trains on the rows of <paramref name="view"/>. Validation rows (held out of the view, raw, in memory) come in
    /// <paramref name="hooks"/>: a view cannot split itself, so <see cref="TrainingOptions.ValidationFraction"/> only
    /// records the fraction that was held out. With an allreduce every worker calls this alike and gets the same model.
    /// </summary>
    public static TrainingResult FitView(TrainingView view, TrainingOptions options, TrainingHooks? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        hooks ??= new TrainingHooks();
        if (options.ValidationFraction > 0 && hooks.Validation is null)
            throw new NotSupportedException("This data view cannot split off validation rows; hold them out and pass them as the validation rows.");
        if (view.Rows == 0) throw new ArgumentException("The training data have no rows.", nameof(view));
        var preprocessor = FitPreprocessor(view, options);
        var classWeights = options.BalancedClassWeights ? SampleWeights.Balanced(view.ClassCounts()) : options.ClassWeights;
        var loss = view.BuildLoss(preprocessor, classWeights, options);
        try
        {
            var objective = new SoftmaxObjective(loss, options.L2, options.L1, view.AllReduce);
            var solver = Solver(view, options);
            var theta0 = WarmStart(view, options, objective.Dimension);
            var context = Context(options, hooks, hooks.Validation is { } v ? Validator(v, preprocessor, options.Engine) : null);
            var clock = Stopwatch.StartNew();
            var result = solver.Minimize(objective, theta0, context);
            clock.Stop();
            double value = objective.ExactValue(result.Theta);
            return Result(view, options, preprocessor, solver.Name, result, value, hooks.Validation, clock.Elapsed);
        }
        finally
        {
            // The trainer owns the data term it built (a GPU loss holds device memory).
            (loss as IDisposable)?.Dispose();
        }
    }

    /// <summary>Moments made for one solver (<see cref="TrainingView.Moments"/>), which may factor their covariance in place.</summary>
    private static FeatureMoments OwnedMoments(FeatureMoments moments)
    {
        moments.OwnedBySolver = true;
        return moments;
    }

    /// <summary>The one solver switch: L-BFGS (OWL-QN) preconditioned by the view's moments, or a mini-batch rule over the view's plan.</summary>
    private static ISolver Solver(TrainingView view, TrainingOptions options) => options.Solver switch
    {
        SolverKind.Lbfgs => new LbfgsSolver(options.Lbfgs, OwnedMoments(view.Moments(withCovariance: options.Lbfgs.Precondition && options.L1 == 0)))
        {
            MapThreads = options.Engine.Threads,
        },
        SolverKind.Sgd => new MiniBatchSolver(new SgdRule(options.Momentum, options.Nesterov), options.MiniBatch, view.BatchPlan()),
        SolverKind.Adam => new MiniBatchSolver(new AdamRule(), options.MiniBatch, view.BatchPlan()),
        _ => throw new ArgumentOutOfRangeException(nameof(options)),
    };

    private static double[] WarmStart(TrainingView view, TrainingOptions options, int dimension)
    {
        if (options.WarmStart is not { } warm) return new double[dimension];
        if (warm.Classes != view.ClassNames.Count || warm.Features != view.Features)
            throw new ArgumentException($"The warm-start model has {warm.Classes} classes and {warm.Features} features; the data have {view.ClassNames.Count} and {view.Features}.");
        return warm.Parameters;
    }

    private static SolverContext Context(TrainingOptions options, TrainingHooks hooks, Func<double[], ValidationScore>? validate) => new()
    {
        Progress = hooks.Progress,
        CancellationToken = hooks.CancellationToken,
        Validate = validate,
        Patience = options.Patience,
        MinDelta = options.MinDelta,
        ValidateEvery = options.Solver == SolverKind.Lbfgs ? 5 : 1,
        ResumeFrom = hooks.ResumeFrom,
        Checkpoint = hooks.Checkpoint,
        CheckpointEvery = hooks.CheckpointEvery,
        Precision = options.Precision,
    };

    private static TrainingResult Result(TrainingView view, TrainingOptions options, Preprocessor preprocessor, string solver,
        SolverResult result, double value, Dataset? validation, TimeSpan elapsed)
    {
        // Finite but worse than the uniform guess, or a rising loss: the run diverged whatever the solver's own reason.
        if (TrainingHealth.Diverged(value, view.ClassNames.Count, result.History) is not null)
            result = result with { Reason = StopReason.Diverged };
        var settings = TrainingInfo.Hyperparameters(options);
        settings["preprocess"] = preprocessor.Kind.ToString();
        settings["preprocess_scale"] = preprocessor.Scale.ToString("R", CultureInfo.InvariantCulture);
        settings["threads"] = options.Engine.EffectiveThreads.ToString(CultureInfo.InvariantCulture);
        view.Describe(settings);
        bool lbfgs = options.Solver == SolverKind.Lbfgs;
        var info = new TrainingInfo
        {
            Solver = solver, L2 = options.L2, L1 = options.L1, Objective = value, Rows = view.Rows, Iterations = result.Iterations,
            Epochs = lbfgs ? null : result.Epochs, Evaluations = lbfgs ? result.Evaluations : null, StopReason = result.Reason.ToString(),
            Seed = options.Seed, Seconds = elapsed.TotalSeconds, Settings = settings, History = result.History,
        };
        var model = new SoftmaxModel(result.Theta, view.ClassNames, view.Features, preprocessor, view.Image, info)
        {
            Schema = view.Schema ?? InputSchema.Default(view.Features, view.Image),
        };
        return new TrainingResult(model, result, value, validation, elapsed);
    }

    /// <summary>
    /// The preprocessing <paramref name="options"/> ask for, fitted on <paramref name="train"/>. The default is Scale by
    /// the data's declared range (<see cref="ImageShape.MaxValue"/>: 16 for digits; 255 for uint8 rows), Standardize
    /// for tabular data (a <see cref="Dataset.Schema"/> with named columns), None otherwise;
    /// <see cref="PreprocessKind.Scale"/> without <see cref="TrainingOptions.PreprocessScale"/> uses the declared range,
    /// or 1/255 when none is declared. One-hot and missing-indicator features are left as they are (mean 0, deviation
    /// 1), as scikit-learn's ColumnTransformer scales only the numeric columns.
    /// </summary>
    public static Preprocessor FitPreprocessor(Dataset train, TrainingOptions options) => FitPreprocessor(new InMemoryView(train), options);

    /// <summary>The preprocessing <paramref name="options"/> ask for, fitted on the rows of <paramref name="view"/>, by the rule of <see cref="FitPreprocessor(Dataset, TrainingOptions)"/>.</summary>
    public static Preprocessor FitPreprocessor(TrainingView view, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        float? declared = Preprocessor.DeclaredScale(view.Image, view.ByteRows);
        var kind = options.Preprocess ?? (declared is not null ? PreprocessKind.Scale : view.Schema is { Named: true } ? PreprocessKind.Standardize : PreprocessKind.None);
        var fitted = view.FitPreprocessor(kind, options.PreprocessScale ?? declared);
        if (view.Schema is not { } schema || fitted.Mean is null || schema.NumericFeatures.All(n => n)) return fitted;
        var mean = (float[])fitted.Mean.Clone();
        var inverseStd = fitted.InverseStd is null ? null : (float[])fitted.InverseStd.Clone();
        for (int j = 0; j < mean.Length; j++)
        {
            if (schema.NumericFeatures[j]) continue;
            mean[j] = 0;
            if (inverseStd is not null) inverseStd[j] = 1f / fitted.Scale;
        }
        return new Preprocessor(fitted.Kind, fitted.Scale, mean, inverseStd);
    }

    /// <summary>Accuracy and mean log-loss of <paramref name="model"/> on raw rows (unweighted).</summary>
    internal static ValidationScore Score(SoftmaxModel model, Dataset raw, CpuEngineOptions engine)
    {
        var x = model.Preprocessor.Apply(raw);
        var loss = new CpuSoftmaxLoss(x, engine with { ClassWeights = null });
        return Evaluate(loss, x, model.Parameters);
    }

    /// <summary>
    /// Scores θ on <paramref name="validation"/> (raw rows, preprocessed here with the training fit): accuracy and the
    /// float64 log-loss without class weights. Every trainer's early stopping scores through this.
    /// </summary>
    public static Func<double[], ValidationScore> Validator(Dataset validation, Preprocessor preprocessor, CpuEngineOptions engine)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(preprocessor);
        ArgumentNullException.ThrowIfNull(engine);
        var valX = preprocessor.Apply(validation);
        var valLoss = new CpuSoftmaxLoss(valX, engine with { ClassWeights = null });
        valLoss.TrySetArithmetic(Precision.Float64);   // the validation log-loss is a metric: float64
        return theta => Evaluate(valLoss, valX, theta);
    }

    private static ValidationScore Evaluate(CpuSoftmaxLoss loss, Dataset data, double[] theta)
    {
        var sums = loss.Value(theta, RowSet.Range(0, data.Rows));
        double accuracy = new SoftmaxModel(theta, data.ClassNames, data.FeatureCount).Score(data);
        return new ValidationScore(accuracy, sums.Loss / sums.Weight);
    }
}

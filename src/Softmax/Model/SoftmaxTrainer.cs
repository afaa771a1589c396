using System.Diagnostics;
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

/// <summary>
/// Fits a <see cref="SoftmaxModel"/>: splits off validation rows, fits the preprocessing on the training split only,
/// builds the objective and the solver, and runs it. Never prints; reports through <see cref="IProgress{T}"/>.
/// </summary>
public static class SoftmaxTrainer
{
    /// <summary>Trains on <paramref name="data"/> (raw features).</summary>
    public static TrainingResult Fit(Dataset data, TrainingOptions options, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default, SolverState? resumeFrom = null, Action<SolverState>? checkpoint = null, int checkpointEvery = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (data.Rows == 0) throw new ArgumentException("The training data have no rows.", nameof(data));
        Dataset train = data, validation = null!;
        bool hasValidation = options.ValidationFraction > 0;
        if (hasValidation) (train, validation) = data.Split(options.ValidationFraction, options.Seed);

        var preprocessor = FitPreprocessor(train, options);
        var trainX = preprocessor.Apply(train);
        var classWeights = options.BalancedClassWeights ? SampleWeights.Balanced(train) : options.ClassWeights;
        var loss = BuildLoss(trainX, options, classWeights);
        var objective = new SoftmaxObjective(loss, options.L2, options.L1);

        var validate = hasValidation ? Validator(validation, preprocessor, options.Engine) : null;
        var context = new SolverContext
        {
            Progress = progress,
            CancellationToken = cancellationToken,
            Validate = validate,
            Patience = options.Patience,
            MinDelta = options.MinDelta,
            ValidateEvery = options.Solver == SolverKind.Lbfgs ? 5 : 1,
            ResumeFrom = resumeFrom,
            Checkpoint = checkpoint,
            CheckpointEvery = checkpointEvery,
            Precision = options.Precision,
        };
        var theta0 = new double[objective.Dimension];
        if (options.WarmStart is { } warm)
        {
            if (warm.Classes != data.ClassCount || warm.Features != data.FeatureCount)
                throw new ArgumentException($"The warm-start model has {warm.Classes} classes and {warm.Features} features; the data have {data.ClassCount} and {data.FeatureCount}.");
            theta0 = warm.Parameters;
        }
        ISolver solver = options.Solver switch
        {
            SolverKind.Lbfgs => new LbfgsSolver(options.Lbfgs, FeatureMoments.Compute(trainX.Features, withCovariance: options.Lbfgs.Precondition)),
            SolverKind.Sgd => new SgdSolver(options.MiniBatch, options.Momentum, options.Nesterov),
            SolverKind.Adam => new AdamSolver(options.MiniBatch),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
        var clock = Stopwatch.StartNew();
        SolverResult result;
        double objectiveValue;
        try
        {
            result = solver.Minimize(objective, theta0, context);
            clock.Stop();
            objectiveValue = objective.ExactValue(result.Theta);
        }
        finally
        {
            // The trainer owns the data term it built (a GPU loss holds device memory).
            (loss as IDisposable)?.Dispose();
        }
        // Finite but worse than the uniform guess, or a rising loss: the run diverged whatever the solver's own reason.
        if (TrainingHealth.Diverged(objectiveValue, data.ClassCount, result.History) is not null)
            result = result with { Reason = StopReason.Diverged };
        var settings = TrainingInfo.Hyperparameters(options);
        settings["preprocess"] = preprocessor.Kind.ToString();
        settings["preprocess_scale"] = preprocessor.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        settings["threads"] = options.Engine.EffectiveThreads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var info = TrainingInfo.From(solver.Name, options, result, objectiveValue, train.Rows, clock.Elapsed, settings);
        var model = new SoftmaxModel(result.Theta, data.ClassNames, data.FeatureCount, preprocessor, data.Image, info)
        {
            Schema = data.Schema ?? InputSchema.Default(data.FeatureCount, data.Image),
        };
        return new TrainingResult(model, result, objectiveValue, hasValidation ? validation : null, clock.Elapsed) { Train = train };
    }

    /// <summary>
    /// The preprocessing <paramref name="options"/> ask for, fitted on <paramref name="train"/>. The default is Scale by
    /// the data's declared range (<see cref="ImageShape.MaxValue"/>: 16 for digits; 255 for uint8 rows), Standardize
    /// for tabular data (a <see cref="Dataset.Schema"/> with named columns), None otherwise;
    /// <see cref="PreprocessKind.Scale"/> without <see cref="TrainingOptions.PreprocessScale"/> uses the declared range,
    /// or 1/255 when none is declared. One-hot and missing-indicator features are left as they are (mean 0, deviation
    /// 1), as scikit-learn's ColumnTransformer scales only the numeric columns.
    /// </summary>
    public static Preprocessor FitPreprocessor(Dataset train, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        // Images are scaled by their declared range (255 for 8-bit pixels, 16 for digits) unless asked otherwise.
        bool bytes = train.Features is ByteMatrix;
        float? declared = Preprocessor.DeclaredScale(train.Image, bytes);
        var kind = options.Preprocess ?? (declared is not null ? PreprocessKind.Scale : train.Schema is { Named: true } ? PreprocessKind.Standardize : PreprocessKind.None);
        float? scale = options.PreprocessScale ?? declared;
        var fitted = Preprocessor.Fit(kind, train, scale);
        if (train.Schema is not { } schema || fitted.Mean is null || schema.NumericFeatures.All(n => n)) return fitted;
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
    /// The data term: the CPU engine, or the plugged-in one; one without float64 arithmetic (the GPU) is paired with the
    /// CPU engine over the same rows, so auto precision can polish and the reported F is float64.
    /// </summary>
    private static ISoftmaxLoss BuildLoss(Dataset trainX, TrainingOptions options, IReadOnlyList<double>? classWeights)
    {
        var engine = options.Engine with { ClassWeights = classWeights };
        if (options.LossFactory?.Invoke(trainX, classWeights) is not { } plugged) return new CpuSoftmaxLoss(trainX, engine);
        if (plugged.TrySetArithmetic(Precision.Float64)) return plugged;
        return new TwoPrecisionLoss(plugged, new CpuSoftmaxLoss(trainX, engine));
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
        var model = new SoftmaxModel(theta, data.ClassNames, data.FeatureCount);
        var predicted = model.Predict(data);
        int right = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == data.Labels[i]) right++;
        return new ValidationScore(right / (double)data.Rows, sums.Loss / sums.Weight);
    }
}

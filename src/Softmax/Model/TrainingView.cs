using Softmax.Data;
using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Model;

/// <summary>
/// Where <see cref="SoftmaxTrainer"/>'s training rows live, and the few things that depend on it: rows in memory
/// (<see cref="InMemoryView"/>), a packed file streamed in blocks, or one worker's shard whose sums an
/// <see cref="IAllReduce"/> combines. Everything else (the default preprocessing, balanced weights, the solver, early
/// stopping, checkpoints, the result) is the trainer's, the same for every view.
/// <para>Order of calls: <see cref="FitPreprocessor"/>, <see cref="ClassCounts"/> (when balanced weights are asked
/// for), <see cref="BuildLoss"/>, then <see cref="Moments"/> (L-BFGS with preconditioning) or
/// <see cref="BatchPlan"/> (SGD, Adam), then <see cref="Describe"/>. With an <see cref="AllReduce"/>, every worker
/// makes the same calls in the same order (each may be a collective).</para>
/// </summary>
public abstract class TrainingView
{
    /// <summary>The shape every view states: <paramref name="rows"/> counts the training rows over all workers.</summary>
    protected TrainingView(IReadOnlyList<string> classNames, int features, int rows, ImageShape? image, bool byteRows, InputSchema? schema = null)
    {
        ClassNames = classNames ?? throw new ArgumentNullException(nameof(classNames));
        (Features, Rows, Image, ByteRows, Schema) = (features, rows, image, byteRows, schema);
    }

    /// <summary>Class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Features per row.</summary>
    public int Features { get; }

    /// <summary>Training rows over all workers.</summary>
    public int Rows { get; }

    /// <summary>Image layout of a row, or null.</summary>
    public ImageShape? Image { get; }

    /// <summary>The input schema of tabular rows, or null for the default.</summary>
    public InputSchema? Schema { get; }

    /// <summary>Whether rows are stored as uint8 (their default scale is then 1/255 without a declared range).</summary>
    public bool ByteRows { get; }

    /// <summary>Combines the workers' sums, or null in one process.</summary>
    public virtual IAllReduce? AllReduce => null;

    /// <summary>
    /// Fits <paramref name="kind"/> with <paramref name="scale"/> on the training rows (over all workers), as
    /// <see cref="Preprocessor.Fit(PreprocessKind, Dataset, float?)"/> would on them all.
    /// </summary>
    public abstract Preprocessor FitPreprocessor(PreprocessKind kind, float? scale);

    /// <summary>Rows of each class over all workers (float64 counts, length <c>ClassNames.Count</c>).</summary>
    public abstract double[] ClassCounts();

    /// <summary>The data term over the preprocessed training rows (this worker's), with <paramref name="classWeights"/>.</summary>
    public abstract ISoftmaxLoss BuildLoss(Preprocessor preprocessor, IReadOnlyList<double>? classWeights, TrainingOptions options);

    /// <summary>
    /// Mean and variance of the preprocessed rows of <see cref="BuildLoss"/> (over all workers): L-BFGS's gradient-test
    /// scale, and with <paramref name="withCovariance"/> its preconditioner. A new object each call: the trainer hands it
    /// to one solver, whose preconditioner may factor the covariance in place.
    /// </summary>
    public abstract FeatureMoments Moments(bool withCovariance = true);

    /// <summary>Where a mini-batch solver's batches come from over the rows of <see cref="BuildLoss"/>.</summary>
    public abstract IBatchPlan BatchPlan();

    /// <summary>Adds the view's own settings (block size, passes, averaging) to the model's training record.</summary>
    public virtual void Describe(IDictionary<string, string> settings) { }

    /// <summary>Rows of each class of <paramref name="labels"/>, with <paramref name="classes"/> classes, as float64.</summary>
    protected static double[] Count(IReadOnlyList<int> labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var counts = new double[classes];
        for (int i = 0; i < labels.Count; i++) counts[labels[i]]++;
        return counts;
    }
}

/// <summary>
/// Training rows held in memory: the plain view of <see cref="SoftmaxTrainer.Fit"/>.
/// The data term is the CPU engine or the plugged-in <see cref="TrainingOptions.LossFactory"/>; one without float64
/// arithmetic (the GPU) is paired with the CPU engine over the same rows, so auto precision can polish and the
/// reported F is float64.
/// </summary>
public sealed class InMemoryView(Dataset train) : TrainingView(
    (train ?? throw new ArgumentNullException(nameof(train))).ClassNames, train.FeatureCount, train.Rows, train.Image, train.Features is ByteMatrix, train.Schema)
{
    private Dataset? _preprocessed;

    /// <summary>The raw training rows.</summary>
    public Dataset Train { get; } = train;

    /// <inheritdoc />
    public override Preprocessor FitPreprocessor(PreprocessKind kind, float? scale) => Preprocessor.Fit(kind, Train, scale);

    /// <inheritdoc />
    public override double[] ClassCounts() => Count(Train.Labels, Train.ClassCount);

    /// <inheritdoc />
    public override ISoftmaxLoss BuildLoss(Preprocessor preprocessor, IReadOnlyList<double>? classWeights, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        ArgumentNullException.ThrowIfNull(options);
        var x = _preprocessed = preprocessor.Apply(Train);
        var engine = options.Engine with { ClassWeights = classWeights };
        if (options.LossFactory?.Invoke(x, classWeights) is not { } plugged) return new CpuSoftmaxLoss(x, engine);
        if (plugged.TrySetArithmetic(Precision.Float64)) return plugged;
        return new TwoPrecisionLoss(plugged, new CpuSoftmaxLoss(x, engine));
    }

    /// <inheritdoc />
    public override FeatureMoments Moments(bool withCovariance = true) => FeatureMoments.Compute(Preprocessed.Features, withCovariance);

    /// <inheritdoc />
    public override IBatchPlan BatchPlan() => new RowBatchPlan();

    private Dataset Preprocessed => _preprocessed ?? throw new InvalidOperationException("BuildLoss was not called.");
}

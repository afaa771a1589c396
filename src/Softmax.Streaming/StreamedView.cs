using System.Globalization;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Streaming;

/// <summary>
/// Training rows in a packed file, streamed in blocks instead of loaded: the <see cref="TrainingView"/> of
/// <c>--stream</c>, and of each rank's shard under L-BFGS with <c>--distributed</c> (with an
/// <see cref="IAllReduce"/> and the shard's place among all rows). L-BFGS makes one streamed pass per evaluation;
/// SGD and Adam read batches block by block (<see cref="BlockBatchPlan"/>, one process only).
/// <para>Center and Standardize are fitted by one streamed pass (the same sums in the same order as in memory, bit for
/// bit; across workers the sums are added first); class counts and the preconditioner's moments likewise.</para>
/// </summary>
/// <param name="file">The packed file.</param>
/// <param name="stream">Block size and range (the engine and preprocessing are the trainer's).</param>
/// <param name="allReduce">Combines the workers' sums; the range is then one worker's.</param>
/// <param name="globalOffset">With <paramref name="allReduce"/>: the index of the range's first row among all rows.</param>
/// <param name="totalRows">With <paramref name="allReduce"/>: the rows over all workers.</param>
public sealed class StreamedView(PackedDataset file, StreamingOptions? stream = null, IAllReduce? allReduce = null, int globalOffset = 0, int? totalRows = null)
    : TrainingView(file.Header.ClassNames, file.Features, totalRows ?? LocalRows(file, stream), file.Header.Image, file.Header.ElementType == PackedElementType.UInt8)
{
    private readonly StreamingOptions _stream = (stream ?? new StreamingOptions()).Validate(file);
    private StreamingSoftmaxLoss? _loss;

    /// <inheritdoc />
    public override IAllReduce? AllReduce => allReduce;

    /// <inheritdoc />
    public override Preprocessor FitPreprocessor(PreprocessKind kind, float? scale)
    {
        if (kind <= PreprocessKind.Scale) return Preprocessor.Fit(kind, [], scale);
        // The raw rows, block after block in file order: the sums of Preprocessor.Fit in its order.
        var raw = RawBlocks();
        return Preprocessor.Fit(kind, raw.Read().Select(block => block.Data.Slice(0, block.Count)), scale, allReduce, Features);
    }

    /// <inheritdoc />
    public override double[] ClassCounts()
    {
        var counts = new double[file.Classes];
        foreach (var block in RawBlocks().Read())
            for (int r = 0; r < block.Count; r++) counts[block.Data.Labels[r]]++;
        allReduce?.SumInPlace(counts);
        return counts;
    }

    /// <inheritdoc />
    public override ISoftmaxLoss BuildLoss(Preprocessor preprocessor, IReadOnlyList<double>? classWeights, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LossFactory is not null) throw new NotSupportedException("A plugged-in engine needs the rows in memory; streamed training runs on the CPU.");
        _loss = new StreamingSoftmaxLoss(file, _stream with { Preprocessor = preprocessor, Engine = options.Engine with { ClassWeights = classWeights } });
        return _loss;
    }

    /// <inheritdoc />
    public override FeatureMoments Moments(bool withCovariance = true) =>
        StreamedMoments.Compute(Loss.Blocks, withCovariance, allReduce: allReduce, globalOffset: globalOffset, totalRows: totalRows);

    /// <inheritdoc />
    public override IBatchPlan BatchPlan() => new BlockBatchPlan(Loss.Blocks);

    /// <inheritdoc />
    public override void Describe(IDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["stream_block_rows"] = Loss.Blocks.BlockRows.ToString(CultureInfo.InvariantCulture);
        settings["stream_passes"] = Loss.Passes.ToString(CultureInfo.InvariantCulture);
    }

    private static int LocalRows(PackedDataset file, StreamingOptions? stream) =>
        stream is { RowCount: >= 0 } range ? range.RowCount : file.Rows - (stream?.RowStart ?? 0);

    private StreamingSoftmaxLoss Loss => _loss ?? throw new InvalidOperationException("BuildLoss was not called.");

    private BlockStream RawBlocks() => new(file, _stream with { Preprocessor = new Preprocessor(PreprocessKind.None), DoubleBuffer = false });
}

using System.Globalization;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Distributed;

/// <summary>
/// One rank's shard of the rows, held in memory (uint8 rows stay uint8, scaled on the fly): the
/// <see cref="TrainingView"/> of SGD and Adam under <c>--distributed</c>. Batches come from a
/// <see cref="ShardBatchPlan"/> (synchronous: the global order filtered to the shard) or an
/// <see cref="AveragingBatchPlan"/> (local SGD, averaged every K steps). The preprocessing fit and the class counts are
/// this rank's sums added over the ranks, so Center and Standardize fit the whole training set on every rank.
/// </summary>
/// <param name="file">The packed file.</param>
/// <param name="shard">This rank's rows, loaded at once.</param>
/// <param name="allReduce">Combines the ranks' sums.</param>
/// <param name="averageEvery">0: synchronous mini-batches; K &gt; 0: local SGD averaged every K steps.</param>
/// <param name="slices">Consecutive slices the rows are held as, whose sums are added in order (<see cref="SlicedLoss"/>:
/// with 1 rank and K slices, the bit-for-bit single-process reference of a synchronous K-rank run).</param>
public sealed class ShardView(PackedDataset file, ShardPlan shard, IAllReduce allReduce, int averageEvery = 0, int slices = 1)
    : TrainingView(file.Header.ClassNames, file.Features, shard.TotalRows, file.Header.Image, file.Header.ElementType == PackedElementType.UInt8)
{
    /// <inheritdoc />
    public override IAllReduce AllReduce { get; } = allReduce ?? throw new ArgumentNullException(nameof(allReduce));

    private readonly int _averageEvery = averageEvery >= 0 ? averageEvery : throw new ArgumentOutOfRangeException(nameof(averageEvery), "--average-every must be ≥ 0.");
    private readonly int _slices = slices >= 1 ? slices : throw new ArgumentOutOfRangeException(nameof(slices), "Slices must be ≥ 1.");
    private readonly Dataset _rows = file.Load(shard.RowStart, shard.RowCount);
    private AveragingBatchPlan? _averaging;

    /// <inheritdoc />
    public override Preprocessor FitPreprocessor(PreprocessKind kind, float? scale) => Preprocessor.Fit(kind, [_rows], scale, AllReduce, Features);

    /// <inheritdoc />
    public override double[] ClassCounts()
    {
        var counts = Count(_rows.Labels, file.Classes);
        AllReduce.SumInPlace(counts);
        return counts;
    }

    /// <inheritdoc />
    public override ISoftmaxLoss BuildLoss(Preprocessor preprocessor, IReadOnlyList<double>? classWeights, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        ArgumentNullException.ThrowIfNull(options);
        if (options.LossFactory is not null) throw new NotSupportedException("A plugged-in engine is not offered with --distributed; the ranks run on the CPU.");
        var data = preprocessor.Apply(_rows);
        var engine = options.Engine with { ClassWeights = classWeights };
        if (_slices == 1) return new CpuSoftmaxLoss(data, engine);
        return new SlicedLoss(Enumerable.Range(0, _slices).Select(k =>
        {
            var range = ShardPlan.RowRange(file.Path, data.Rows, k, _slices);
            return (ISoftmaxLoss)new CpuSoftmaxLoss(data.Slice(range.RowStart, range.RowCount), engine);
        }).ToArray());
    }

    /// <summary>Not offered: L-BFGS streams the shard (<see cref="StreamedView"/>), which computes the moments over the ranks.</summary>
    public override FeatureMoments Moments(bool withCovariance = true) =>
        throw new NotSupportedException("L-BFGS over ranks streams each shard; the in-memory shard serves SGD and Adam.");

    /// <inheritdoc />
    public override IBatchPlan BatchPlan() => _averageEvery > 0
        ? _averaging = new AveragingBatchPlan(shard.GlobalOffset, shard.TotalRows, _averageEvery)
        : new ShardBatchPlan(shard.GlobalOffset, shard.TotalRows);

    /// <inheritdoc />
    public override void Describe(IDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["average_every"] = _averageEvery.ToString(CultureInfo.InvariantCulture);
        settings["model_averages"] = (_averaging?.Averages ?? 0).ToString(CultureInfo.InvariantCulture);
    }
}

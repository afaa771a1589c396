using Softmax.Engine;
using Softmax.Streaming;

namespace Softmax.Scale.Tests;

/// <summary>
/// An in-memory loss summed in a given block order: the inner engine is called once per block range and the block
/// sums are added in turn, exactly as <see cref="StreamingSoftmaxLoss"/> adds them. Over a <see cref="CpuSoftmaxLoss"/>
/// with the same block size and thread count it gives bit-identical sums to the streamed loss: it is the in-memory
/// reference "with the same block order", and the way to check that streaming changes nothing but where rows live.
/// </summary>
internal sealed class BlockOrderedLoss(ISoftmaxLoss inner, int blockRows) : ISoftmaxLoss
{
    private readonly ISoftmaxLoss _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly int _blockRows = blockRows > 0 ? blockRows : throw new ArgumentOutOfRangeException(nameof(blockRows));

    /// <inheritdoc />
    public int Classes => _inner.Classes;

    /// <inheritdoc />
    public int Features => _inner.Features;

    /// <inheritdoc />
    public int Rows => _inner.Rows;

    /// <inheritdoc />
    public Precision Arithmetic => _inner.Arithmetic;

    /// <inheritdoc />
    public bool TrySetArithmetic(Precision arithmetic) => _inner.TrySetArithmetic(arithmetic);

    /// <inheritdoc />
    public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows)
    {
        var sums = default(LossSums);
        foreach (var block in Blocks(rows)) sums += _inner.Accumulate(theta, gradientSums, block);
        return sums;
    }

    /// <inheritdoc />
    public LossSums Value(ReadOnlySpan<double> theta, RowSet rows)
    {
        var sums = default(LossSums);
        foreach (var block in Blocks(rows)) sums += _inner.Value(theta, block);
        return sums;
    }

    private IEnumerable<RowSet> Blocks(RowSet rows)
    {
        if (!rows.IsRange) throw new NotSupportedException("Block order is defined for row ranges only.");
        int end = rows.Start + rows.Count;
        for (int lo = rows.Start; lo < end;)
        {
            int hi = Math.Min(end, (lo / _blockRows + 1) * _blockRows);
            yield return RowSet.Range(lo, hi - lo);
            lo = hi;
        }
    }
}

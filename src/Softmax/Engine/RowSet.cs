namespace Softmax.Engine;

/// <summary>
/// The rows an evaluation sums over: a contiguous range, or a list of row indices (a mini-batch).
/// This is the seam that lets the same objective run over a whole dataset, a batch, a streamed block or a
/// worker's shard.
/// </summary>
public readonly struct RowSet
{
    private readonly int[]? _indices;

    private RowSet(int start, int count, int[]? indices)
    {
        Start = start;
        Count = count;
        _indices = indices;
    }

    /// <summary>First row of a range, or first position in the index list.</summary>
    public int Start { get; }

    /// <summary>Number of rows.</summary>
    public int Count { get; }

    /// <summary>True when the rows are <see cref="Start"/>..<see cref="Start"/>+<see cref="Count"/>−1 in order.</summary>
    public bool IsRange => _indices is null;

    /// <summary>Rows start..start+count−1.</summary>
    public static RowSet Range(int start, int count) => new(start, count, null);

    /// <summary>Rows indices[start..start+count−1].</summary>
    public static RowSet Of(int[] indices, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if ((uint)start > (uint)indices.Length || (uint)count > (uint)(indices.Length - start))
            throw new ArgumentOutOfRangeException(nameof(count));
        return new(start, count, indices);
    }

    /// <summary>The row at position <paramref name="i"/> of the set.</summary>
    public int this[int i] => _indices is null ? Start + i : _indices[Start + i];

    /// <summary>The positions i..i+n−1 of this set, as a set.</summary>
    public RowSet Sub(int i, int n) => new(Start + i, n, _indices);

    /// <summary>Checks every row lies in 0..rows−1.</summary>
    internal void Validate(int rows)
    {
        if (_indices is null)
        {
            if (Start < 0 || Count < 0 || (long)Start + Count > rows) throw new ArgumentOutOfRangeException(nameof(rows), $"Rows {Start}..{Start + Count - 1} exceed {rows}.");
            return;
        }
        for (int i = 0; i < Count; i++)
            if ((uint)_indices[Start + i] >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(rows), $"Row {_indices[Start + i]} exceeds {rows}.");
    }
}

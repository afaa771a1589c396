namespace Softmax.Data;

/// <summary>
/// Compressed sparse rows: the non-zeros of row i are <c>Values[RowPointers[i]..RowPointers[i+1]]</c>
/// at 0-based columns <c>ColumnIndices[...]</c>, strictly ascending within a row.
/// </summary>
public sealed class CsrMatrix : FeatureMatrix
{
    /// <summary>Wraps CSR arrays after checking their invariants.</summary>
    public CsrMatrix(long[] rowPointers, int[] columnIndices, float[] values, int rows, int columns) : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rowPointers.Length != rows + 1) throw new ArgumentException("rowPointers must have rows + 1 entries.", nameof(rowPointers));
        if (columnIndices.Length != values.Length) throw new ArgumentException("columnIndices and values differ in length.");
        if (rowPointers[0] != 0 || rowPointers[rows] != values.LongLength) throw new ArgumentException("rowPointers must start at 0 and end at the non-zero count.");
        for (int r = 0; r < rows; r++)
        {
            long start = rowPointers[r], end = rowPointers[r + 1];
            if (end < start) throw new ArgumentException($"rowPointers decrease at row {r}.");
            for (long k = start; k < end; k++)
            {
                int c = columnIndices[k];
                if ((uint)c >= (uint)columns) throw new ArgumentException($"Row {r} has column {c}, outside 0..{columns - 1}.");
                if (k > start && c <= columnIndices[k - 1]) throw new ArgumentException($"Row {r} has columns out of ascending order at {c}.");
            }
        }
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>Start of each row in <see cref="Values"/>, plus one final end entry.</summary>
    public long[] RowPointers { get; }

    /// <summary>0-based column of each stored value.</summary>
    public int[] ColumnIndices { get; }

    /// <summary>Stored non-zero values.</summary>
    public float[] Values { get; }

    /// <summary>Number of stored values.</summary>
    public long NonZeros => Values.LongLength;

    /// <inheritdoc />
    public override long StorageBytes => RowPointers.LongLength * 8 + ColumnIndices.LongLength * 4 + Values.LongLength * 4;

    /// <summary>The stored columns and values of one row.</summary>
    public (ReadOnlyMemory<int> Columns, ReadOnlyMemory<float> Values) Row(int row)
    {
        int start = (int)RowPointers[row], length = (int)(RowPointers[row + 1] - RowPointers[row]);
        return (ColumnIndices.AsMemory(start, length), Values.AsMemory(start, length));
    }

    /// <inheritdoc />
    public override void CopyRow(int row, Span<float> destination)
    {
        destination[..Columns].Clear();
        for (long k = RowPointers[row]; k < RowPointers[row + 1]; k++) destination[ColumnIndices[k]] = Values[k];
    }

    /// <inheritdoc />
    public override void CopyRow(int row, Span<double> destination)
    {
        destination[..Columns].Clear();
        for (long k = RowPointers[row]; k < RowPointers[row + 1]; k++) destination[ColumnIndices[k]] = Values[k];
    }

    /// <inheritdoc />
    public override FeatureMatrix Take(ReadOnlySpan<int> rows)
    {
        var pointers = new long[rows.Length + 1];
        for (int i = 0; i < rows.Length; i++) pointers[i + 1] = pointers[i] + RowPointers[rows[i] + 1] - RowPointers[rows[i]];
        var cols = new int[pointers[^1]];
        var vals = new float[pointers[^1]];
        for (int i = 0; i < rows.Length; i++)
        {
            long src = RowPointers[rows[i]], len = RowPointers[rows[i] + 1] - src;
            Array.Copy(ColumnIndices, src, cols, pointers[i], len);
            Array.Copy(Values, src, vals, pointers[i], len);
        }
        return new CsrMatrix(pointers, cols, vals, rows.Length, Columns);
    }
}

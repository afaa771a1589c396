namespace Softmax.Data;

/// <summary>
/// Row-major feature storage shared by the engines, metrics and tools. Three layouts exist:
/// <see cref="DenseMatrix"/> (float32, rows padded to a multiple of 16 floats and 64-byte aligned),
/// <see cref="ByteMatrix"/> (uint8 pixels scaled on the fly) and <see cref="CsrMatrix"/> (sparse rows).
/// </summary>
public abstract class FeatureMatrix
{
    /// <summary>Creates a matrix of the given shape.</summary>
    protected FeatureMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        (Rows, Columns) = (rows, columns);
    }

    /// <summary>Number of rows (samples).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (features).</summary>
    public int Columns { get; }

    /// <summary>Writes row <paramref name="row"/> as float32 values (after any on-the-fly scaling) into <paramref name="destination"/>.</summary>
    public abstract void CopyRow(int row, Span<float> destination);

    /// <summary>
    /// Writes row <paramref name="row"/> in float64: the stored values exactly (uint8 rows through
    /// <see cref="ByteMatrix.Levels"/>). The float64 engines and the reference read rows this way.
    /// </summary>
    public virtual void CopyRow(int row, Span<double> destination)
    {
        var values = new float[Columns];
        CopyRow(row, values);
        for (int d = 0; d < values.Length; d++) destination[d] = values[d];
    }

    /// <summary>Returns a new matrix holding the given rows, in the given order.</summary>
    public abstract FeatureMatrix Take(ReadOnlySpan<int> rows);

    /// <summary>Bytes held by the storage, for memory reports.</summary>
    public abstract long StorageBytes { get; }

    /// <summary>Decodes the whole matrix to a dense float32 copy.</summary>
    public virtual DenseMatrix ToDense()
    {
        var dense = new DenseMatrix(Rows, Columns);
        for (int i = 0; i < Rows; i++) CopyRow(i, dense.Row(i));
        return dense;
    }
}

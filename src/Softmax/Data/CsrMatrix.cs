namespace Softmax.Data;

/// <summary>
/// Compressed sparse rows: the non-zeros of row i are <c>Values[RowPointers[i]..RowPointers[i+1]]</c>
/// at 0-based columns <c>ColumnIndices[...]</c>, strictly ascending within a row. Each of the three arrays lives in a
/// managed array, or in memory its owner keeps alive and unchanged (libsoftmax's zero-copy problems, see
/// <see cref="Wrap"/>); readers take the spans once and index them.
/// </summary>
public sealed unsafe class CsrMatrix : FeatureMatrix
{
    // Each array is either managed (the array set, the pointer null) or wrapped outside memory (the array null).
    private readonly long[]? _pointers;
    private readonly long* _pointersOrigin;
    private readonly int[]? _columns;
    private readonly int* _columnsOrigin;
    private readonly float[]? _values;
    private readonly float* _valuesOrigin;
    private readonly int _nonZeros;

    /// <summary>Wraps CSR arrays after checking their invariants.</summary>
    public CsrMatrix(long[] rowPointers, int[] columnIndices, float[] values, int rows, int columns)
        : this(NotNull(rowPointers), null, NotNull(columnIndices), null, NotNull(values), null, rows, columns, values?.LongLength ?? 0)
    {
    }

    private CsrMatrix(long[]? pointers, long* pointersOrigin, int[]? columnIndices, int* columnsOrigin,
        float[]? values, float* valuesOrigin, int rows, int columns, long nonZeros) : base(rows, columns)
    {
        if (nonZeros > Array.MaxLength) throw new ArgumentException($"{nonZeros} non-zeros exceed the largest array .NET allows.");
        if (pointers is not null && pointers.Length != rows + 1) throw new ArgumentException("rowPointers must have rows + 1 entries.", nameof(pointers));
        if (columnIndices is not null && columnIndices.LongLength != nonZeros || values is not null && values.LongLength != nonZeros)
            throw new ArgumentException("columnIndices and values differ in length.");
        (_pointers, _columns, _values, _nonZeros) = (pointers, columnIndices, values, (int)nonZeros);
        _pointersOrigin = pointersOrigin;
        _columnsOrigin = columnsOrigin;
        _valuesOrigin = valuesOrigin;
        Check(RowPointers, ColumnIndices, nonZeros, rows, columns);
    }

    /// <summary>
    /// A matrix over CSR arrays, each wrapped without copying where its pointer is given, else the given managed array:
    /// rows + 1 row pointers, and <paramref name="nonZeros"/> columns and values. The owner keeps wrapped memory alive
    /// and unchanged while the matrix is used. Checks the same invariants as the constructor.
    /// </summary>
    internal static CsrMatrix Wrap(long[]? pointers, long* pointersOrigin, int[]? columnIndices, int* columnsOrigin,
        float[]? values, float* valuesOrigin, int rows, int columns, long nonZeros)
    {
        if (nonZeros < 0) throw new ArgumentException($"The non-zero count is {nonZeros}.", nameof(nonZeros));
        if (!OneOf(pointers, pointersOrigin, rows + 1L) || !OneOf(columnIndices, columnsOrigin, nonZeros) || !OneOf(values, valuesOrigin, nonZeros))
            throw new ArgumentException("Give each CSR array either as a managed array or as a pointer.");
        return new CsrMatrix(pointers, pointersOrigin, columnIndices, columnsOrigin, values, valuesOrigin, rows, columns, nonZeros);
    }

    private static bool OneOf(Array? array, void* origin, long length) => array is null ? origin is not null || length == 0 : origin is null;

    private static T NotNull<T>(T? value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null) where T : class
        => value ?? throw new ArgumentNullException(name);

    private static void Check(ReadOnlySpan<long> rowPointers, ReadOnlySpan<int> columnIndices, long nonZeros, int rows, int columns)
    {
        if (rowPointers[0] != 0 || rowPointers[rows] != nonZeros) throw new ArgumentException("rowPointers must start at 0 and end at the non-zero count.");
        for (int r = 0; r < rows; r++)
        {
            long start = rowPointers[r], end = rowPointers[r + 1];
            if (end < start) throw new ArgumentException($"rowPointers decrease at row {r}.");
            if (end > nonZeros) throw new ArgumentException($"rowPointers pass the non-zero count at row {r}.");
            for (int k = (int)start; k < end; k++)
            {
                int c = columnIndices[k];
                if ((uint)c >= (uint)columns) throw new ArgumentException($"Row {r} has column {c}, outside 0..{columns - 1}.");
                if (k > start && c <= columnIndices[k - 1]) throw new ArgumentException($"Row {r} has columns out of ascending order at {c}.");
            }
        }
    }

    /// <summary>Start of each row in <see cref="Values"/>, plus one final end entry (rows + 1 entries).</summary>
    public ReadOnlySpan<long> RowPointers => _pointers ?? new ReadOnlySpan<long>(_pointersOrigin, Rows + 1);

    /// <summary>0-based column of each stored value.</summary>
    public ReadOnlySpan<int> ColumnIndices => _columns ?? new ReadOnlySpan<int>(_columnsOrigin, _nonZeros);

    /// <summary>Stored non-zero values.</summary>
    public ReadOnlySpan<float> Values => _values ?? new ReadOnlySpan<float>(_valuesOrigin, _nonZeros);

    /// <summary>Number of stored values.</summary>
    public long NonZeros => _nonZeros;

    /// <summary>False when any of the arrays wraps memory the matrix does not own (<see cref="Wrap"/>).</summary>
    internal bool OwnsStorage => _pointers is not null && _columns is not null && _values is not null;

    /// <inheritdoc />
    public override long StorageBytes => (Rows + 1L) * 8 + (long)_nonZeros * 4 + (long)_nonZeros * 4;

    /// <summary>The stored columns of one row.</summary>
    public ReadOnlySpan<int> RowColumns(int row) => ColumnIndices[(int)RowPointers[row]..(int)RowPointers[row + 1]];

    /// <summary>The stored values of one row, at <see cref="RowColumns"/>.</summary>
    public ReadOnlySpan<float> RowValues(int row) => Values[(int)RowPointers[row]..(int)RowPointers[row + 1]];

    /// <summary>The same rows and columns with other values (one per non-zero), sharing the pointers and columns.</summary>
    internal CsrMatrix WithValues(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength != _nonZeros) throw new ArgumentException("values must have one entry per non-zero.", nameof(values));
        return new CsrMatrix(_pointers, _pointersOrigin, _columns, _columnsOrigin, values, null, Rows, Columns, _nonZeros);
    }

    /// <inheritdoc />
    public override void CopyRow(int row, Span<float> destination) => Scatter(row, destination);

    /// <inheritdoc />
    public override void CopyRow(int row, Span<double> destination) => Scatter(row, destination);

    private void Scatter<T>(int row, Span<T> destination) where T : System.Numerics.INumberBase<T>
    {
        destination[..Columns].Clear();
        var columns = RowColumns(row);
        var values = RowValues(row);
        for (int k = 0; k < columns.Length; k++) destination[columns[k]] = T.CreateTruncating(values[k]);
    }

    /// <inheritdoc />
    public override FeatureMatrix Take(ReadOnlySpan<int> rows)
    {
        var source = RowPointers;
        var pointers = new long[rows.Length + 1];
        for (int i = 0; i < rows.Length; i++) pointers[i + 1] = pointers[i] + source[rows[i] + 1] - source[rows[i]];
        var cols = new int[pointers[^1]];
        var vals = new float[pointers[^1]];
        for (int i = 0; i < rows.Length; i++)
        {
            RowColumns(rows[i]).CopyTo(cols.AsSpan((int)pointers[i]));
            RowValues(rows[i]).CopyTo(vals.AsSpan((int)pointers[i]));
        }
        return new CsrMatrix(pointers, cols, vals, rows.Length, Columns);
    }
}

namespace Softmax.Data;

/// <summary>
/// Compact uint8 rows (raw pixels). The engines read x = byte * <see cref="Scale"/> on the fly,
/// which moves a quarter of the bytes a float32 copy would. The rows live in a managed array, or in memory its owner
/// keeps alive and unchanged (libsoftmax's zero-copy problems, see <see cref="Wrap"/>).
/// </summary>
public sealed unsafe class ByteMatrix : FeatureMatrix
{
    private readonly byte[]? _data;   // null when wrapping outside memory
    private readonly byte* _origin;

    /// <summary>Wraps row-major bytes (rows × columns, no padding).</summary>
    public ByteMatrix(byte[] data, int rows, int columns, float scale = 1f)
        : this(data ?? throw new ArgumentNullException(nameof(data)), null, rows, columns, scale)
    {
        if (data.LongLength != (long)rows * columns)
            throw new ArgumentException($"Expected {(long)rows * columns} bytes for {rows}x{columns}, got {data.LongLength}.", nameof(data));
    }

    private ByteMatrix(byte[]? data, byte* origin, int rows, int columns, float scale) : base(rows, columns)
    {
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), "Scale must be finite.");
        (_data, Scale) = (data, scale);
        _origin = origin;
    }

    /// <summary>
    /// Wraps rows × columns bytes at <paramref name="origin"/> (row-major, no padding) without copying. The owner keeps
    /// the memory alive and unchanged while the matrix is used.
    /// </summary>
    internal static ByteMatrix Wrap(byte* origin, int rows, int columns)
    {
        if (origin is null && (long)rows * columns > 0) throw new ArgumentNullException(nameof(origin));
        if ((long)rows * columns > Array.MaxLength) throw new ArgumentException($"{rows} x {columns} bytes exceed the largest matrix.");
        return new ByteMatrix(null, origin, rows, columns, 1f);
    }

    /// <summary>Row-major bytes in a managed array. A matrix that wraps outside memory has none: read <see cref="Bytes"/>.</summary>
    public byte[] Data => _data ?? throw new InvalidOperationException("This byte matrix wraps memory outside the managed heap; read Bytes or Row.");

    /// <summary>All rows, row-major (rows × columns bytes).</summary>
    public ReadOnlySpan<byte> Bytes => _data ?? new ReadOnlySpan<byte>(_origin, Rows * Columns);

    /// <summary>False for a matrix that wraps memory it does not own (<see cref="Wrap"/>).</summary>
    internal bool OwnsStorage => _data is not null;

    /// <summary>Factor applied to every byte when it is read.</summary>
    public float Scale { get; }

    private double[]? _levels;

    /// <summary>
    /// The value of each byte as the matrix defines it: the float32 nearest byte/k when <see cref="Scale"/> is the float
    /// nearest 1/k for a whole k (1/255 for pixels, 1/16 for the digits) — what `pixels.astype(float32) / 255` gives —
    /// else the float32 product byte·scale. The float64 engines and the reference read these exact values; the
    /// float32 kernels multiply by the rounded scale instead (within one float32 ulp of them).
    /// </summary>
    public ReadOnlySpan<double> Levels => _levels ??= MakeLevels(Scale);

    private double[] MakeLevels(float scale)
    {
        var levels = new double[256];
        for (int b = 0; b < 256; b++) levels[b] = Divisor > 0 ? (float)b / Divisor : (float)b * scale;
        return levels;
    }

    /// <summary>k when <see cref="Scale"/> is the float nearest 1/k for a whole k ≤ 2²⁴, else 0.</summary>
    internal float Divisor
    {
        get
        {
            double k = Scale > 0 ? Math.Round(1.0 / Scale) : 0;
            return k >= 1 && k <= 1 << 24 && (float)(1.0 / k) == Scale ? (float)k : 0;
        }
    }

    /// <inheritdoc />
    public override void CopyRow(int row, Span<double> destination)
    {
        var src = Row(row);
        var levels = Levels;
        for (int d = 0; d < src.Length; d++) destination[d] = levels[src[d]];
    }

    /// <summary>The same bytes read with another scale.</summary>
    public ByteMatrix WithScale(float scale) => new(_data, _origin, Rows, Columns, scale);

    /// <summary>The raw bytes of one row.</summary>
    public ReadOnlySpan<byte> Row(int row) => Bytes.Slice(row * Columns, Columns);

    /// <inheritdoc />
    public override long StorageBytes => (long)Rows * Columns;

    /// <inheritdoc />
    public override void CopyRow(int row, Span<float> destination)
    {
        var src = Row(row);
        if (destination.Length < src.Length) throw new ArgumentException("The destination is shorter than the row.", nameof(destination));
        fixed (byte* s = src)
        fixed (float* d = destination)
            Engine.Avx512Kernels.ConvertBytes(s, src.Length, Scale, d);
    }

    /// <inheritdoc />
    public override FeatureMatrix Take(ReadOnlySpan<int> rows)
    {
        var data = new byte[(long)rows.Length * Columns];
        for (int i = 0; i < rows.Length; i++) Row(rows[i]).CopyTo(data.AsSpan(i * Columns, Columns));
        return new ByteMatrix(data, rows.Length, Columns, Scale);
    }
}

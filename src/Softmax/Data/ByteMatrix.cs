namespace Softmax.Data;

/// <summary>
/// Compact uint8 rows (raw pixels). The engines read x = byte * <see cref="Scale"/> on the fly,
/// which moves a quarter of the bytes a float32 copy would.
/// </summary>
public sealed class ByteMatrix : FeatureMatrix
{
    /// <summary>Wraps row-major bytes (rows × columns, no padding).</summary>
    public ByteMatrix(byte[] data, int rows, int columns, float scale = 1f) : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength != (long)rows * columns)
            throw new ArgumentException($"Expected {(long)rows * columns} bytes for {rows}x{columns}, got {data.LongLength}.", nameof(data));
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), "Scale must be finite.");
        Data = data;
        Scale = scale;
    }

    /// <summary>Row-major bytes.</summary>
    public byte[] Data { get; }

    /// <summary>Factor applied to every byte when it is read.</summary>
    public float Scale { get; }

    /// <summary>
    /// The scale in float64: exactly 1/k when <see cref="Scale"/> is the float nearest 1/k for a whole k (1/255 for
    /// pixels, 1/16 for the digits), else the float's own value. The data are x = byte/k; float32 kernels use the
    /// rounded scale (relative error 3e-8), float64 ones this.
    /// </summary>
    public double ExactScale
    {
        get
        {
            if (!(Scale > 0)) return Scale;
            double k = Math.Round(1.0 / Scale);
            return k >= 1 && k <= 1 << 24 && (float)(1.0 / k) == Scale ? 1.0 / k : Scale;
        }
    }

    /// <inheritdoc />
    public override void CopyRow(int row, Span<double> destination)
    {
        var src = Row(row);
        double scale = ExactScale;
        for (int d = 0; d < src.Length; d++) destination[d] = src[d] * scale;
    }

    /// <summary>The same bytes read with another scale.</summary>
    public ByteMatrix WithScale(float scale) => new(Data, Rows, Columns, scale);

    /// <summary>The raw bytes of one row.</summary>
    public ReadOnlySpan<byte> Row(int row) => Data.AsSpan(row * Columns, Columns);

    /// <inheritdoc />
    public override long StorageBytes => Data.LongLength;

    /// <inheritdoc />
    public override void CopyRow(int row, Span<float> destination)
    {
        var src = Row(row);
        if (destination.Length < src.Length) throw new ArgumentException("The destination is shorter than the row.", nameof(destination));
        unsafe
        {
            fixed (byte* s = src)
            fixed (float* d = destination)
                Engine.DenseKernels.ConvertBytes(s, src.Length, Scale, d);
        }
    }

    /// <inheritdoc />
    public override FeatureMatrix Take(ReadOnlySpan<int> rows)
    {
        var data = new byte[(long)rows.Length * Columns];
        for (int i = 0; i < rows.Length; i++) Row(rows[i]).CopyTo(data.AsSpan(i * Columns, Columns));
        return new ByteMatrix(data, rows.Length, Columns, Scale);
    }
}

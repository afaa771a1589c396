using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Softmax.Data;

/// <summary>
/// Dense float32 rows. Each row starts on a 64-byte boundary and is padded with zeros to
/// <see cref="Stride"/> floats (a multiple of 16), so SIMD kernels need no scalar tails.
/// The backing array lives on the pinned object heap, so its address never moves.
/// </summary>
public sealed class DenseMatrix : FeatureMatrix
{
    /// <summary>The SIMD width rows are padded to, in floats.</summary>
    public const int Alignment = 16;

    private readonly float[] _buffer;
    private readonly int _offset;

    /// <summary>Allocates a zeroed matrix.</summary>
    public DenseMatrix(int rows, int columns) : base(rows, columns)
    {
        Stride = PaddedLength(columns);
        long length = (long)rows * Stride + Alignment;
        if (length > Array.MaxLength)
            throw new InvalidDataException($"A dense matrix of {rows} x {columns} floats exceeds the largest array .NET allows.");
        _buffer = GC.AllocateArray<float>((int)length, pinned: true);
        _offset = AlignedOffset(_buffer);
    }

    /// <summary>Row length in floats including the zero padding.</summary>
    public int Stride { get; }

    /// <inheritdoc />
    public override long StorageBytes => (long)_buffer.Length * sizeof(float);

    /// <summary>Rounds a column count up to a multiple of <see cref="Alignment"/>.</summary>
    public static int PaddedLength(int columns) => Math.Max(Alignment, (columns + Alignment - 1) / Alignment * Alignment);

    /// <summary>The <paramref name="row"/>-th row, without padding.</summary>
    public Span<float> Row(int row) => _buffer.AsSpan(_offset + row * Stride, Columns);

    /// <summary>All rows including padding, row-major with <see cref="Stride"/>.</summary>
    public Span<float> Storage => _buffer.AsSpan(_offset, Rows * Stride);

    /// <summary>Element accessor.</summary>
    public float this[int row, int column]
    {
        get => _buffer[_offset + row * Stride + column];
        set => _buffer[_offset + row * Stride + column] = value;
    }

    internal unsafe float* Pointer => (float*)Unsafe.AsPointer(ref _buffer[_offset]);

    /// <summary>Copies unpadded row-major values into a new matrix.</summary>
    public static DenseMatrix FromRowMajor(ReadOnlySpan<float> values, int rows, int columns)
    {
        if (values.Length != (long)rows * columns)
            throw new ArgumentException($"Expected {rows}x{columns} = {(long)rows * columns} values, got {values.Length}.", nameof(values));
        var m = new DenseMatrix(rows, columns);
        for (int i = 0; i < rows; i++) values.Slice(i * columns, columns).CopyTo(m.Row(i));
        return m;
    }

    /// <inheritdoc />
    public override void CopyRow(int row, Span<float> destination) => Row(row).CopyTo(destination);

    /// <inheritdoc />
    public override void CopyRow(int row, Span<double> destination)
    {
        var src = Row(row);
        for (int d = 0; d < src.Length; d++) destination[d] = src[d];
    }

    /// <inheritdoc />
    public override FeatureMatrix Take(ReadOnlySpan<int> rows)
    {
        var m = new DenseMatrix(rows.Length, Columns);
        for (int i = 0; i < rows.Length; i++)
            _buffer.AsSpan(_offset + rows[i] * Stride, Stride).CopyTo(m._buffer.AsSpan(m._offset + i * Stride, Stride));
        return m;
    }

    /// <inheritdoc />
    public override DenseMatrix ToDense() => this;

    private static unsafe int AlignedOffset(float[] pinned)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        int misalignment = (int)(address & 63);
        return misalignment == 0 ? 0 : (64 - misalignment) / sizeof(float);
    }
}

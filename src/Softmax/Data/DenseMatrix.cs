using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Softmax.Data;

/// <summary>
/// Dense float32 rows. Each row is padded with zeros to <see cref="Stride"/> floats (a multiple of 16), so SIMD kernels
/// need no scalar tails; the kernels load unaligned, and rows this class allocates also start on a 64-byte boundary.
/// The backing array lives on the pinned object heap, so its address never moves. A matrix can instead wrap memory its
/// owner keeps alive and unchanged (libsoftmax's zero-copy problems, see <see cref="Wrap"/>).
/// </summary>
public sealed unsafe class DenseMatrix : FeatureMatrix
{
    /// <summary>The SIMD width rows are padded to, in floats.</summary>
    public const int Alignment = 16;

    private readonly float[]? _buffer;   // null when wrapping outside memory
    private readonly float* _origin;     // row 0: in the pinned _buffer, or the wrapped memory

    /// <summary>Allocates a zeroed matrix.</summary>
    public DenseMatrix(int rows, int columns) : base(rows, columns)
    {
        Stride = PaddedLength(columns);
        long length = (long)rows * Stride + Alignment;
        if (length > Array.MaxLength)
            throw new InvalidDataException($"A dense matrix of {rows} x {columns} floats exceeds the largest array .NET allows.");
        _buffer = GC.AllocateArray<float>((int)length, pinned: true);
        _origin = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer)) + AlignedOffset(_buffer);
    }

    private DenseMatrix(float* origin, int rows, int columns) : base(rows, columns)
    {
        Stride = PaddedLength(columns);
        _origin = origin;
    }

    /// <summary>
    /// Wraps rows × <see cref="PaddedLength"/>(columns) floats at <paramref name="origin"/> without copying: row i at
    /// origin + i · Stride, padding zero. The owner keeps the memory alive and unchanged while the matrix is used.
    /// </summary>
    internal static DenseMatrix Wrap(float* origin, int rows, int columns)
    {
        if (origin is null && rows > 0) throw new ArgumentNullException(nameof(origin));
        if ((long)rows * PaddedLength(columns) > Array.MaxLength)
            throw new InvalidDataException($"A dense matrix of {rows} x {columns} floats exceeds the largest array .NET allows.");
        return new DenseMatrix(origin, rows, columns);
    }

    /// <summary>Row length in floats including the zero padding.</summary>
    public int Stride { get; }

    /// <inheritdoc />
    public override long StorageBytes => (_buffer?.LongLength ?? (long)Rows * Stride) * sizeof(float);

    /// <summary>Rounds a column count up to a multiple of <see cref="Alignment"/>.</summary>
    public static int PaddedLength(int columns) => Math.Max(Alignment, (columns + Alignment - 1) / Alignment * Alignment);

    /// <summary>The <paramref name="row"/>-th row, without padding.</summary>
    public Span<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        return new Span<float>(_origin + (long)row * Stride, Columns);
    }

    /// <summary>All rows including padding, row-major with <see cref="Stride"/>.</summary>
    public Span<float> Storage => new(_origin, Rows * Stride);

    /// <summary>Element accessor.</summary>
    public float this[int row, int column]
    {
        get => Row(row)[column];
        set => Row(row)[column] = value;
    }

    internal float* Pointer => _origin;

    /// <summary>False for a matrix that wraps memory it does not own (<see cref="Wrap"/>).</summary>
    internal bool OwnsStorage => _buffer is not null;

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
    public override void CopyRow(int row, Span<double> destination) => TensorPrimitives.ConvertChecked<float, double>(Row(row), destination);

    /// <inheritdoc />
    public override FeatureMatrix Take(ReadOnlySpan<int> rows)
    {
        var m = new DenseMatrix(rows.Length, Columns);
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(rows));
            new ReadOnlySpan<float>(_origin + (long)rows[i] * Stride, Stride).CopyTo(new Span<float>(m._origin + (long)i * Stride, Stride));
        }
        return m;
    }

    /// <inheritdoc />
    public override DenseMatrix ToDense() => this;

    private static int AlignedOffset(float[] pinned)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        int misalignment = (int)(address & 63);
        return misalignment == 0 ? 0 : (64 - misalignment) / sizeof(float);
    }
}

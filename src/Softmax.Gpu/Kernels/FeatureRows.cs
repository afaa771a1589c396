using ILGPU;

namespace Softmax.Gpu.Kernels;

/// <summary>How a kernel reads element <c>i</c> of the device-resident feature matrix (row-major, padded stride).</summary>
public interface IFeatureRows
{
    /// <summary>The feature value at flat index <paramref name="index"/>, as float32.</summary>
    float Get(long index);
}

/// <summary>float32 rows as uploaded from a <see cref="Softmax.Data.DenseMatrix"/> (its padded stride kept).</summary>
public struct DenseRows : IFeatureRows
{
    /// <summary>The values.</summary>
    public ArrayView<float> X;

    /// <inheritdoc />
    public readonly float Get(long index) => X[index];
}

/// <summary>uint8 rows, scaled in the kernel: x = byte · <see cref="Scale"/> (a quarter of the float32 traffic).</summary>
public struct ByteRows : IFeatureRows
{
    /// <summary>The bytes.</summary>
    public ArrayView<byte> X;

    /// <summary>The scale of <see cref="Softmax.Data.ByteMatrix.Scale"/>.</summary>
    public float Scale;

    /// <inheritdoc />
    public readonly float Get(long index) => X[index] * Scale;
}

/// <summary>
/// Scalar arguments of the row kernels. Rows are positions <see cref="Start"/>..<see cref="Start"/>+<see cref="Count"/>−1,
/// read through the device index list when <see cref="UseIndex"/> is 1 (a mini-batch), else directly.
/// </summary>
public struct RowArgs
{
    /// <summary>D.</summary>
    public int Features;
    /// <summary>Elements between consecutive rows of X (≥ D).</summary>
    public int Stride;
    /// <summary>C.</summary>
    public int Classes;
    /// <summary>First position.</summary>
    public int Start;
    /// <summary>Number of rows.</summary>
    public int Count;
    /// <summary>1: row = index[Start + i]; 0: row = Start + i.</summary>
    public int UseIndex;
    /// <summary>1: also accumulate (P − Y)ᵀX; 0: loss only.</summary>
    public int WithGradient;
    /// <summary>Number of tiles of <see cref="Kernel2Fused.TileRows"/> rows: ⌈Count / TileRows⌉.</summary>
    public int Tiles;

    /// <summary>Length of θ and of one block partial: C·D + C.</summary>
    public readonly int Parameters => Classes * Features + Classes;

    /// <summary>Device row of position <paramref name="i"/> of the set.</summary>
    public readonly int Row(ArrayView<int> index, int i) => UseIndex != 0 ? index[Start + i] : Start + i;
}

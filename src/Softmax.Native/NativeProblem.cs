using System.Globalization;
using System.Numerics.Tensors;
using Softmax.Data;

namespace Softmax.Native;

/// <summary>
/// Builds a <see cref="Dataset"/> from caller-owned memory (softmax_problem_dense / _csr). Rows already in the engine's
/// layout are wrapped in place: float32 at a 64-byte aligned address with row_stride =
/// <see cref="DenseMatrix.PaddedLength"/>(cols) and zero padding (so every row is aligned; every aligned C-contiguous
/// array whose cols is a multiple of 16), uint8 with row_stride = cols (C-contiguous; the kernels read bytes unaligned). Other inputs
/// are copied once into the engine's layout (padded float32 rows, packed uint8 rows). CSR wraps int32 column indices and
/// float32 values (and int64 row pointers; int32 ones are widened, rows + 1 longs) and converts int64 indices and
/// float64 values.
/// </summary>
internal static unsafe class NativeProblem
{
    public const int Float32 = 0, Float64 = 1, UInt8 = 2, Int32 = 3, Int64 = 4;

    public static Dataset Dense(void* x, int dtype, long rows, long cols, long rowStride, int* y, double* sampleWeight, int classes)
    {
        CheckShape(rows, cols);
        if (x is null && rows * cols > 0) throw new ArgumentException("x is NULL.");
        if (rowStride == 0) rowStride = cols;
        if (rowStride < cols) throw new ArgumentException($"row_stride {rowStride} is smaller than cols {cols}.");
        int n = (int)rows, d = (int)cols;
        FeatureMatrix features;
        switch (dtype)
        {
            case UInt8 when rowStride == d:
                features = ByteMatrix.Wrap((byte*)x, n, d);
                break;
            case UInt8:
                var bytes = new byte[(long)n * d];
                for (int i = 0; i < n; i++) new ReadOnlySpan<byte>((byte*)x + i * rowStride, d).CopyTo(bytes.AsSpan(i * d, d));
                features = new ByteMatrix(bytes, n, d);
                break;
            // Only 64-byte aligned rows: rows that straddle cache lines trained ~15 % slower (Fashion-MNIST, numpy's
            // 16-byte aligned arrays) than the one-time copy costs (bench/RESULTS.md).
            case Float32 when rowStride == DenseMatrix.PaddedLength(d) && ((nint)x & 63) == 0 && ZeroPadding((float*)x, n, d, rowStride):
                features = DenseMatrix.Wrap((float*)x, n, d);
                break;
            case Float32:
                var m32 = new DenseMatrix(n, d);
                for (int i = 0; i < n; i++) new ReadOnlySpan<float>((float*)x + i * rowStride, d).CopyTo(m32.Row(i));
                features = m32;
                break;
            case Float64:
                var m64 = new DenseMatrix(n, d);
                for (int i = 0; i < n; i++) TensorPrimitives.ConvertTruncating<double, float>(new ReadOnlySpan<double>((double*)x + i * rowStride, d), m64.Row(i));
                features = m64;
                break;
            default:
                throw new ArgumentException($"dtype {dtype} is not one of SOFTMAX_FLOAT32 (0), SOFTMAX_FLOAT64 (1), SOFTMAX_UINT8 (2).");
        }
        if (features is DenseMatrix dense)
            for (int i = 0; i < n; i++) CheckFinite(dense.Row(i), "x", i);
        return Build(features, y, sampleWeight, classes);
    }

    public static Dataset Csr(void* indptr, void* indices, int indexType, void* data, int valueType, long rows, long cols,
        int* y, double* sampleWeight, int classes)
    {
        CheckShape(rows, cols);
        if (indexType is not (Int32 or Int64)) throw new ArgumentException($"index_dtype {indexType} is not SOFTMAX_INT32 (3) or SOFTMAX_INT64 (4).");
        if (valueType is not (Float32 or Float64)) throw new ArgumentException($"value_dtype {valueType} is not SOFTMAX_FLOAT32 (0) or SOFTMAX_FLOAT64 (1).");
        if (indptr is null) throw new ArgumentException("indptr is NULL.");
        int n = (int)rows;
        long nnz = indexType == Int32 ? ((int*)indptr)[n] : ((long*)indptr)[n];
        long first = indexType == Int32 ? ((int*)indptr)[0] : ((long*)indptr)[0];
        if (first != 0 || nnz < 0 || nnz > Array.MaxLength)
            throw new ArgumentException($"indptr must start at 0 and end at the non-zero count (it runs {first}..{nnz}).");
        if (nnz > 0 && (indices is null || data is null)) throw new ArgumentException("indices or data is NULL.");
        // int32 indices and float32 values are the engine's types: wrapped in place, as are int64 row pointers then
        // (int32 ones are widened: rows + 1 longs). With neither, everything is converted (a copy needs no caller memory).
        bool wrapColumns = indexType == Int32, wrapValues = valueType == Float32, wrap = wrapColumns || wrapValues;
        long[]? pointers = null;
        if (!wrap || indexType == Int32)
        {
            pointers = new long[n + 1];
            for (int i = 0; i <= n; i++) pointers[i] = indexType == Int32 ? ((int*)indptr)[i] : ((long*)indptr)[i];
        }
        int[]? columns = wrapColumns ? null : Narrow((long*)indices, nnz, cols);
        float[]? values = wrapValues ? null : Round((double*)data, nnz);
        if (wrapValues) CheckFinite(new ReadOnlySpan<float>(data, (int)nnz), "data");
        var csr = CsrMatrix.Wrap(pointers, pointers is null ? (long*)indptr : null, columns, columns is null ? (int*)indices : null,
            values, values is null ? (float*)data : null, n, (int)cols, nnz);
        return Build(csr, y, sampleWeight, classes);
    }

    /// <summary>int64 column indices as the engine's int32 ones, each checked against cols.</summary>
    private static int[] Narrow(long* indices, long nnz, long cols)
    {
        var columns = new int[nnz];
        for (long k = 0; k < nnz; k++)
        {
            long c = indices[k];
            if ((ulong)c >= (ulong)cols) throw new ArgumentException($"indices[{k}] = {c} is outside 0..{cols - 1}.");
            columns[k] = (int)c;
        }
        return columns;
    }

    /// <summary>float64 values rounded to the engine's float32, each checked finite.</summary>
    private static float[] Round(double* data, long nnz)
    {
        var values = new float[nnz];
        TensorPrimitives.ConvertTruncating<double, float>(new ReadOnlySpan<double>(data, (int)nnz), values);
        CheckFinite(values, "data");
        return values;
    }

    /// <summary>Throws for the first value that is not finite: name[k], or name[row, k] for a row of a matrix.</summary>
    private static void CheckFinite(ReadOnlySpan<float> values, string name, int row = -1)
    {
        if (TensorPrimitives.IsFiniteAll(values)) return;
        for (int k = 0; k < values.Length; k++)
            if (!float.IsFinite(values[k]))
                throw new ArgumentException($"{name}[{(row < 0 ? "" : $"{row}, ")}{k}] is {values[k]} (as float32); features must be finite.");
    }

    /// <summary>Whether the problem's features are the caller's memory (a wrapped <see cref="DenseMatrix"/>, <see cref="ByteMatrix"/> or <see cref="CsrMatrix"/>).</summary>
    public static bool IsView(Dataset data) =>
        data.Features is DenseMatrix { OwnsStorage: false } or ByteMatrix { OwnsStorage: false } or CsrMatrix { OwnsStorage: false };

    private static Dataset Build(FeatureMatrix features, int* y, double* sampleWeight, int classes)
    {
        int n = features.Rows;
        var labels = y is null ? new int[n] : new ReadOnlySpan<int>(y, n).ToArray();
        if (classes < 0) throw new ArgumentException($"n_classes is {classes}; give 0 (from the labels) or a positive count.");
        if (classes == 0) classes = labels.Length == 0 ? 1 : Math.Max(1, labels.Max() + 1);
        for (int i = 0; i < n; i++)
            if ((uint)labels[i] >= (uint)classes) throw new ArgumentException($"y[{i}] = {labels[i]} is outside 0..{classes - 1}.");
        float[]? weights = null;
        if (sampleWeight is not null)
        {
            weights = new float[n];
            for (int i = 0; i < n; i++)
            {
                weights[i] = (float)sampleWeight[i];
                if (!(weights[i] >= 0) || !float.IsFinite(weights[i])) throw new ArgumentException($"sample_weight[{i}] is {sampleWeight[i]}; weights must be finite and >= 0 (as float32).");
            }
        }
        return new Dataset(features, labels, ClassNumbers(classes), weights);
    }

    private static void CheckShape(long rows, long cols)
    {
        if (rows < 0 || rows > Array.MaxLength) throw new ArgumentException($"rows is {rows}; it must lie in 0..{Array.MaxLength}.");
        if (cols < 1 || cols > int.MaxValue / 16) throw new ArgumentException($"cols is {cols}; it must be at least 1.");
    }

    /// <summary>Whether the padding after each row's cols values is zero, as the kernels (which read it) need.</summary>
    private static bool ZeroPadding(float* x, int rows, int cols, long stride)
    {
        if (stride == cols) return true;
        for (long i = 0; i < rows; i++)
            if (new ReadOnlySpan<float>(x + i * stride + cols, (int)(stride - cols)).ContainsAnyExcept(0f)) return false;
        return true;
    }

    /// <summary>The class names "0".."C−1" of data and models made from C arrays.</summary>
    public static string[] ClassNumbers(int classes) =>
        Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
}

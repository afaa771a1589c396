using System.Runtime.InteropServices;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Tests.Engine;

namespace Softmax.Tests.Data;

/// <summary>
/// <see cref="DenseMatrix.Wrap"/>, <see cref="ByteMatrix.Wrap"/> and <see cref="CsrMatrix.Wrap"/> (libsoftmax's zero-copy problems): the engine reads
/// memory outside the managed heap, deliberately misaligned, exactly as it reads its own arrays: F and the gradient bit
/// for bit in float32 and float64 arithmetic, over all rows and a scattered mini-batch, and the model's scores.
/// </summary>
public sealed unsafe class WrappedMatricesTests
{
    [Theory]
    [InlineData(37, 32, 3)]   // rows need no padding
    [InlineData(50, 20, 4)]   // rows padded to 32 floats
    [InlineData(1, 16, 2)]
    public void WrappedDenseRowsReadAsTheOwnedOnes(int rows, int features, int classes)
    {
        var owned = TestProblems.Dense(rows, features, classes, seed: features);
        var matrix = (DenseMatrix)owned.Features;
        int count = rows * matrix.Stride;
        byte* block = (byte*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float) + 64), 64);
        try
        {
            var origin = (float*)(block + 4); // 4 bytes past a 64-byte boundary: no row is aligned
            matrix.Storage.CopyTo(new Span<float>(origin, count));
            var wrapped = DenseMatrix.Wrap(origin, rows, features);
            Assert.False(wrapped.OwnsStorage);
            Assert.True(matrix.OwnsStorage);
            AssertSameResults(owned, owned.WithFeatures(wrapped), classes, features);
            origin[(rows - 1) * matrix.Stride + features - 1] += 1; // a view: the change shows
            Assert.Equal(matrix[rows - 1, features - 1] + 1, wrapped[rows - 1, features - 1]);
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }

    [Theory]
    [InlineData(45, 30, 3)]
    [InlineData(300, 64, 10)]
    public void WrappedByteRowsReadAsTheOwnedOnes(int rows, int features, int classes)
    {
        var owned = TestProblems.ThreeLayouts(rows, features, classes, seed: rows).Bytes;
        var matrix = (ByteMatrix)owned.Features;
        byte* block = (byte*)NativeMemory.AlignedAlloc((nuint)(rows * features + 64), 64);
        try
        {
            byte* origin = block + 3;
            matrix.Data.CopyTo(new Span<byte>(origin, rows * features));
            var wrapped = ByteMatrix.Wrap(origin, rows, features).WithScale(matrix.Scale);
            Assert.False(wrapped.OwnsStorage);
            Assert.True(wrapped.Bytes.SequenceEqual(matrix.Data));
            Assert.Throws<InvalidOperationException>(() => wrapped.Data);
            AssertSameResults(owned, owned.WithFeatures(wrapped), classes, features);
            origin[features + 1] ^= 0xFF;
            Assert.Equal(matrix.Row(1)[1] ^ 0xFF, wrapped.Row(1)[1]);
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }

    [Theory]
    [InlineData(45, 30, 3, true)]    // int64 row pointers wrapped too
    [InlineData(300, 64, 10, false)] // row pointers widened into a managed array (int32 indptr)
    public void WrappedCsrArraysReadAsTheOwnedOnes(int rows, int features, int classes, bool wrapPointers)
    {
        var owned = TestProblems.ThreeLayouts(rows, features, classes, seed: rows).Csr;
        var matrix = (CsrMatrix)owned.Features;
        int nnz = (int)matrix.NonZeros;
        byte* block = (byte*)NativeMemory.AlignedAlloc((nuint)((rows + 1) * 8 + nnz * 8 + 64), 64);
        try
        {
            long* pointers = (long*)(block + 4); // 4 bytes past a 64-byte boundary
            int* columns = (int*)(pointers + rows + 1);
            float* values = (float*)(columns + nnz);
            matrix.RowPointers.CopyTo(new Span<long>(pointers, rows + 1));
            matrix.ColumnIndices.CopyTo(new Span<int>(columns, nnz));
            matrix.Values.CopyTo(new Span<float>(values, nnz));
            long[]? managed = wrapPointers ? null : matrix.RowPointers.ToArray();
            var wrapped = CsrMatrix.Wrap(managed, wrapPointers ? pointers : null, null, columns, null, values, rows, features, nnz);
            Assert.False(wrapped.OwnsStorage);
            Assert.True(matrix.OwnsStorage);
            Assert.True(wrapped.RowPointers.SequenceEqual(matrix.RowPointers) && wrapped.ColumnIndices.SequenceEqual(matrix.ColumnIndices));
            Assert.True(nnz > rows && wrapped.Values.SequenceEqual(matrix.Values));
            AssertSameResults(owned, owned.WithFeatures(wrapped), classes, features);
            var x = new float[features];
            int last = rows - 1;
            while (matrix.RowPointers[last] == nnz) last--; // the row holding the last value
            values[nnz - 1] += 1; // a view: the change shows
            wrapped.CopyRow(last, x);
            Assert.Equal(matrix.Values[nnz - 1] + 1, x[columns[nnz - 1]]);
            columns[0] = features; // and is checked when wrapped
            Assert.Throws<ArgumentException>(() => CsrMatrix.Wrap(managed, wrapPointers ? pointers : null, null, columns, null, values, rows, features, nnz));
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }

    private static void AssertSameResults(Dataset owned, Dataset wrapped, int classes, int features)
    {
        var theta = TestProblems.Theta(classes, features, seed: 5);
        int rows = owned.Rows;
        var scattered = Enumerable.Range(0, rows).Select(i => i * 7 % rows).Distinct().Reverse().ToArray();
        foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
        {
            foreach (var set in new[] { RowSet.Range(0, rows), RowSet.Of(scattered, 0, scattered.Length) })
            {
                var a = new CpuSoftmaxLoss(owned, new CpuEngineOptions(2));
                var b = new CpuSoftmaxLoss(wrapped, new CpuEngineOptions(2));
                Assert.True(a.TrySetArithmetic(precision) && b.TrySetArithmetic(precision));
                var (fa, ga) = TestProblems.Evaluate(a, theta, set);
                var (fb, gb) = TestProblems.Evaluate(b, theta, set);
                Assert.Equal(fa, fb);
                Assert.Equal(ga, gb);
                Assert.True(fa > 0 && ga.Any(g => g != 0));
            }
        }
        var model = new SoftmaxModel(theta, owned.ClassNames, features);
        Assert.Equal(model.PredictProba(owned), model.PredictProba(wrapped));
        Assert.Equal(model.DecisionFunction(owned), model.DecisionFunction(wrapped));
    }
}

using System.Numerics.Tensors;

namespace Softmax.Engine;

/// <summary>
/// The same block operations as <see cref="Avx512Kernels"/>, written with TensorPrimitives only: the path for
/// processors without AVX-512, and a second implementation the tests compare against.
/// </summary>
internal static unsafe class PortableKernels
{
    /// <summary>The score of row r, class c goes to scores[r·rs + c·cs].</summary>
    public static void Forward(float** x, int rows, int S, float* w, float* b, int C, float* scores, int rs, int cs)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = new ReadOnlySpan<float>(x[r], S);
            for (int c = 0; c < C; c++) scores[(long)r * rs + (long)c * cs] = TensorPrimitives.Dot(xr, new ReadOnlySpan<float>(w + c * S, S)) + b[c];
        }
    }

    /// <summary>e(r, c) is e[r·rs + c·cs]; <paramref name="scratch"/> must hold S floats.</summary>
    public static void Backward(float** x, int rows, int S, float* e, int rs, int cs, int C, double* g, Span<float> scratch)
    {
        var acc = scratch[..S];
        for (int c = 0; c < C; c++)
        {
            acc.Clear();
            for (int r = 0; r < rows; r++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(x[r], S), e[(long)r * rs + (long)c * cs], acc, acc);
            double* gc = g + c * S;
            for (int k = 0; k < S; k++) gc[k] += acc[k];
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Softmax.Engine;

/// <summary>
/// AVX-512 micro-kernels for one block of rows. Rows are float32 with a stride that is a multiple of 16 and
/// zero padding, so there are no scalar tails. Register blocking follows a GEMM micro-kernel:
/// forward keeps a 4-row × 5-class tile of accumulators (9 loads feed 20 FMAs), backward a
/// 5-class × 64-float tile (9 loads feed 20 FMAs).
/// </summary>
internal static unsafe class DenseKernels
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;


    /// <summary>scores (rows × C) = X · wᵀ (S × C) + b, where row r of X starts at x[r].</summary>
    public static void Forward(float** x, int rows, int S, float* w, float* b, int C, float* scores)
    {
        int c0 = 0;
        for (; c0 + 5 <= C; c0 += 5)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4) Tile4x5(x + r, r + 8 <= rows ? x + r + 4 : x + r, S, w + c0 * S, b + c0, scores + r * C + c0, C);
            for (; r < rows; r++)
                for (int c = c0; c < c0 + 5; c++) scores[r * C + c] = Dot(x[r], w + c * S, S) + b[c];
        }
        for (; c0 < C; c0++)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4) Tile4x1(x + r, S, w + c0 * S, b[c0], scores + r * C + c0, C);
            for (; r < rows; r++) scores[r * C + c0] = Dot(x[r], w + c0 * S, S) + b[c0];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x5(float** rows, float** next, int S, float* w, float* b, float* o, int C)
    {
        float* x = rows[0], x1 = rows[1], x2 = rows[2], x3 = rows[3];
        float* p0 = next[0], p1 = next[1], p2 = next[2], p3 = next[3];
        float* w1 = w + S, w2 = w1 + S, w3 = w2 + S, w4 = w3 + S;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        for (int k = 0; k < S; k += 16)
        {
            // Rows stream from memory on the first class tile: fetch the next four rows while these are computed.
            Sse.Prefetch0(p0 + k); Sse.Prefetch0(p1 + k); Sse.Prefetch0(p2 + k); Sse.Prefetch0(p3 + k);
            var v0 = Vector512.Load(x + k); var v1 = Vector512.Load(x1 + k);
            var v2 = Vector512.Load(x2 + k); var v3 = Vector512.Load(x3 + k);
            var u = Vector512.Load(w + k);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00); a10 = Vector512.FusedMultiplyAdd(v1, u, a10);
            a20 = Vector512.FusedMultiplyAdd(v2, u, a20); a30 = Vector512.FusedMultiplyAdd(v3, u, a30);
            u = Vector512.Load(w1 + k);
            a01 = Vector512.FusedMultiplyAdd(v0, u, a01); a11 = Vector512.FusedMultiplyAdd(v1, u, a11);
            a21 = Vector512.FusedMultiplyAdd(v2, u, a21); a31 = Vector512.FusedMultiplyAdd(v3, u, a31);
            u = Vector512.Load(w2 + k);
            a02 = Vector512.FusedMultiplyAdd(v0, u, a02); a12 = Vector512.FusedMultiplyAdd(v1, u, a12);
            a22 = Vector512.FusedMultiplyAdd(v2, u, a22); a32 = Vector512.FusedMultiplyAdd(v3, u, a32);
            u = Vector512.Load(w3 + k);
            a03 = Vector512.FusedMultiplyAdd(v0, u, a03); a13 = Vector512.FusedMultiplyAdd(v1, u, a13);
            a23 = Vector512.FusedMultiplyAdd(v2, u, a23); a33 = Vector512.FusedMultiplyAdd(v3, u, a33);
            u = Vector512.Load(w4 + k);
            a04 = Vector512.FusedMultiplyAdd(v0, u, a04); a14 = Vector512.FusedMultiplyAdd(v1, u, a14);
            a24 = Vector512.FusedMultiplyAdd(v2, u, a24); a34 = Vector512.FusedMultiplyAdd(v3, u, a34);
        }
        float* o1 = o + C, o2 = o1 + C, o3 = o2 + C;
        o[0] = Vector512.Sum(a00) + b[0]; o[1] = Vector512.Sum(a01) + b[1]; o[2] = Vector512.Sum(a02) + b[2]; o[3] = Vector512.Sum(a03) + b[3]; o[4] = Vector512.Sum(a04) + b[4];
        o1[0] = Vector512.Sum(a10) + b[0]; o1[1] = Vector512.Sum(a11) + b[1]; o1[2] = Vector512.Sum(a12) + b[2]; o1[3] = Vector512.Sum(a13) + b[3]; o1[4] = Vector512.Sum(a14) + b[4];
        o2[0] = Vector512.Sum(a20) + b[0]; o2[1] = Vector512.Sum(a21) + b[1]; o2[2] = Vector512.Sum(a22) + b[2]; o2[3] = Vector512.Sum(a23) + b[3]; o2[4] = Vector512.Sum(a24) + b[4];
        o3[0] = Vector512.Sum(a30) + b[0]; o3[1] = Vector512.Sum(a31) + b[1]; o3[2] = Vector512.Sum(a32) + b[2]; o3[3] = Vector512.Sum(a33) + b[3]; o3[4] = Vector512.Sum(a34) + b[4];
    }

    private static void Tile4x1(float** rows, int S, float* w, float b, float* o, int C)
    {
        float* x = rows[0], x1 = rows[1], x2 = rows[2], x3 = rows[3];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int k = 0; k < S; k += 16)
        {
            var u = Vector512.Load(w + k);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + k), u, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + k), u, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + k), u, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + k), u, a3);
        }
        o[0] = Vector512.Sum(a0) + b; o[C] = Vector512.Sum(a1) + b; o[2 * C] = Vector512.Sum(a2) + b; o[3 * C] = Vector512.Sum(a3) + b;
    }

    private static float Dot(float* x, float* w, int S)
    {
        Vector512<float> a = default;
        for (int k = 0; k < S; k += 16) a = Vector512.FusedMultiplyAdd(Vector512.Load(x + k), Vector512.Load(w + k), a);
        return Vector512.Sum(a);
    }

    /// <summary>g (C × S, float64) += eᵀ (C × rows) · X (rows × S), summed over the block in float32 first; row r of X starts at x[r].</summary>
    public static void Backward(float** x, int rows, int S, float* e, int C, double* g)
    {
        int c0 = 0;
        for (; c0 + 5 <= C; c0 += 5)
        {
            int k = 0;
            for (; k + 64 <= S; k += 64) Tile5x64(x, k, rows, e + c0, C, g + c0 * S + k, S);
            for (; k < S; k += 16)
                for (int c = c0; c < c0 + 5; c++) Column16(x, k, rows, e + c, C, g + c * S + k);
        }
        for (; c0 < C; c0++)
            for (int k = 0; k < S; k += 16) Column16(x, k, rows, e + c0, C, g + c0 * S + k);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile5x64(float** rowPointers, int k, int rows, float* e, int C, double* g, int S)
    {
        Vector512<float> g00 = default, g01 = default, g02 = default, g03 = default;
        Vector512<float> g10 = default, g11 = default, g12 = default, g13 = default;
        Vector512<float> g20 = default, g21 = default, g22 = default, g23 = default;
        Vector512<float> g30 = default, g31 = default, g32 = default, g33 = default;
        Vector512<float> g40 = default, g41 = default, g42 = default, g43 = default;
        for (int r = 0; r < rows; r++, e += C)
        {
            float* x = rowPointers[r] + k;
            var v0 = Vector512.Load(x); var v1 = Vector512.Load(x + 16);
            var v2 = Vector512.Load(x + 32); var v3 = Vector512.Load(x + 48);
            var u = Vector512.Create(e[0]);
            g00 = Vector512.FusedMultiplyAdd(v0, u, g00); g01 = Vector512.FusedMultiplyAdd(v1, u, g01);
            g02 = Vector512.FusedMultiplyAdd(v2, u, g02); g03 = Vector512.FusedMultiplyAdd(v3, u, g03);
            u = Vector512.Create(e[1]);
            g10 = Vector512.FusedMultiplyAdd(v0, u, g10); g11 = Vector512.FusedMultiplyAdd(v1, u, g11);
            g12 = Vector512.FusedMultiplyAdd(v2, u, g12); g13 = Vector512.FusedMultiplyAdd(v3, u, g13);
            u = Vector512.Create(e[2]);
            g20 = Vector512.FusedMultiplyAdd(v0, u, g20); g21 = Vector512.FusedMultiplyAdd(v1, u, g21);
            g22 = Vector512.FusedMultiplyAdd(v2, u, g22); g23 = Vector512.FusedMultiplyAdd(v3, u, g23);
            u = Vector512.Create(e[3]);
            g30 = Vector512.FusedMultiplyAdd(v0, u, g30); g31 = Vector512.FusedMultiplyAdd(v1, u, g31);
            g32 = Vector512.FusedMultiplyAdd(v2, u, g32); g33 = Vector512.FusedMultiplyAdd(v3, u, g33);
            u = Vector512.Create(e[4]);
            g40 = Vector512.FusedMultiplyAdd(v0, u, g40); g41 = Vector512.FusedMultiplyAdd(v1, u, g41);
            g42 = Vector512.FusedMultiplyAdd(v2, u, g42); g43 = Vector512.FusedMultiplyAdd(v3, u, g43);
        }
        int s = S;
        AddWide(g, g00); AddWide(g + 16, g01); AddWide(g + 32, g02); AddWide(g + 48, g03);
        AddWide(g + s, g10); AddWide(g + s + 16, g11); AddWide(g + s + 32, g12); AddWide(g + s + 48, g13);
        AddWide(g + 2 * s, g20); AddWide(g + 2 * s + 16, g21); AddWide(g + 2 * s + 32, g22); AddWide(g + 2 * s + 48, g23);
        AddWide(g + 3 * s, g30); AddWide(g + 3 * s + 16, g31); AddWide(g + 3 * s + 32, g32); AddWide(g + 3 * s + 48, g33);
        AddWide(g + 4 * s, g40); AddWide(g + 4 * s + 16, g41); AddWide(g + 4 * s + 32, g42); AddWide(g + 4 * s + 48, g43);
    }

    private static void Column16(float** x, int k, int rows, float* e, int C, double* g)
    {
        Vector512<float> a = default;
        for (int r = 0; r < rows; r++, e += C) a = Vector512.FusedMultiplyAdd(Vector512.Load(x[r] + k), Vector512.Create(*e), a);
        AddWide(g, a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWide(double* g, Vector512<float> v)
    {
        var (lo, hi) = Vector512.Widen(v);
        Vector512.Store(Vector512.Load(g) + lo, g);
        Vector512.Store(Vector512.Load(g + 8) + hi, g + 8);
    }

    /// <summary>Asks for <paramref name="bytes"/> bytes from <paramref name="p"/> to be brought into the cache.</summary>
    public static void Prefetch(void* p, int bytes)
    {
        if (!Sse.IsSupported) return;
        for (int o = 0; o < bytes; o += 64) Sse.Prefetch0((byte*)p + o);
    }

    /// <summary>dst[0..D) = src[0..D) · scale; the padding of dst is left as it is (zero).</summary>
    public static void ConvertBytes(byte* src, int D, float scale, float* dst)
    {
        int k = 0;
        if (Avx512F.IsSupported)
        {
            var vs = Vector512.Create(scale);
            for (; k + 16 <= D; k += 16)
                Vector512.Store(Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(src + k))) * vs, dst + k);
        }
        for (; k < D; k++) dst[k] = src[k] * scale;
    }
}

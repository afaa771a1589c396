using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Softmax.Bench.Roofline;

/// <summary>
/// A small GotoBLAS-style float32 GEMM, C += A·B (all row-major), to measure what a Vector512 FMA loop can do
/// here: B is packed in 32-column micro-panels (L1), A in 8-row micro-panels (an mc×kc block in L2), and an 8×32
/// register tile (16 zmm accumulators) is updated by 16 FMAs per 2 loads and 8 broadcasts.
/// M must be a multiple of 192 (the row block), N of 32 and K of 256.
/// </summary>
public static unsafe class Sgemm
{
    private const int MR = 8, NR = 32, KC = 256, MC = 192, NC = 2048;

    /// <summary>C (m×n) += A (m×k) · B (k×n) on <paramref name="threads"/> threads (split over blocks of rows).</summary>
    public static void Multiply(float* a, float* b, float* c, int m, int n, int k, int threads)
    {
        if (m % MC != 0 || n % NR != 0 || k % KC != 0)
        {
            throw new ArgumentException($"shape {m}x{n}x{k}: m must divide by {MC}, n by {NR}, k by {KC}");
        }
        float* bPack = (float*)NativeMemory.AlignedAlloc((nuint)(KC * NC * sizeof(float)), 64);
        var aPacks = new nint[threads];
        for (int t = 0; t < threads; t++)
        {
            aPacks[t] = (nint)NativeMemory.AlignedAlloc((nuint)(MC * KC * sizeof(float)), 64);
        }
        try
        {
            int mBlocks = m / MC;
            for (int pc = 0; pc < k; pc += KC)
            {
                for (int jc = 0; jc < n; jc += NC)
                {
                    int nc = Math.Min(NC, n - jc);
                    PackB(b + (long)pc * n + jc, n, bPack, KC, nc);
                    nint bp = (nint)bPack, ap = (nint)a, cp = (nint)c;
                    int pcc = pc, jcc = jc;
                    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                    {
                        float* aPack = (float*)aPacks[t];
                        for (int blk = t * mBlocks / threads; blk < (t + 1) * mBlocks / threads; blk++)
                        {
                            int ic = blk * MC;
                            PackA((float*)ap + (long)ic * k + pcc, k, aPack, MC, KC);
                            Block(aPack, (float*)bp, (float*)cp + (long)ic * n + jcc, n, MC, nc);
                        }
                    });
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(bPack);
            foreach (nint p in aPacks)
            {
                NativeMemory.AlignedFree((void*)p);
            }
        }
    }

    // One packed A block (mc×KC) against one packed B block (KC×nc): B micro-panel outer (stays in L1).
    private static void Block(float* aPack, float* bPack, float* c, int ldc, int mc, int nc)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            float* bPanel = bPack + (long)jr * KC;
            for (int ir = 0; ir < mc; ir += MR)
            {
                Kernel(aPack + (long)ir * KC, bPanel, c + (long)ir * ldc + jr, ldc);
            }
        }
    }

    // aPack: (KC, MR) one micro-panel; bPack: (KC, NR); c: MR×NR tile with row stride ldc.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* a, float* b, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < KC; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += MR;
            b += NR;
        }
        Add(c, c00, c01); Add(c + ldc, c10, c11); Add(c + 2 * ldc, c20, c21); Add(c + 3 * ldc, c30, c31);
        Add(c + 4 * ldc, c40, c41); Add(c + 5 * ldc, c50, c51); Add(c + 6 * ldc, c60, c61); Add(c + 7 * ldc, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* row, Vector512<float> lo, Vector512<float> hi)
    {
        (Vector512.Load(row) + lo).Store(row);
        (Vector512.Load(row + 16) + hi).Store(row + 16);
    }

    // src: rows × ld row-major, the block's top-left; dst: (rows/MR) micro-panels of (KC, MR).
    private static void PackA(float* src, int ld, float* dst, int rows, int kc)
    {
        for (int ir = 0; ir < rows; ir += MR)
        {
            for (int p = 0; p < kc; p++)
            {
                for (int r = 0; r < MR; r++)
                {
                    *dst++ = src[(long)(ir + r) * ld + p];
                }
            }
        }
    }

    // src: kc × ld row-major; dst: (cols/NR) micro-panels of (kc, NR).
    private static void PackB(float* src, int ld, float* dst, int kc, int cols)
    {
        for (int jr = 0; jr < cols; jr += NR)
        {
            for (int p = 0; p < kc; p++)
            {
                Vector512.Load(src + (long)p * ld + jr).Store(dst);
                Vector512.Load(src + (long)p * ld + jr + 16).Store(dst + 16);
                dst += NR;
            }
        }
    }
}

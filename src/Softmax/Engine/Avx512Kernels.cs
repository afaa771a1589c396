using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Softmax.Engine;

/// <summary>
/// AVX-512 micro-kernels for one block of rows. Rows are float32 with a stride that is a multiple of 16 and
/// zero padding, so there are no scalar tails. Register blocking follows a GEMM micro-kernel. Forward: a 2-row ×
/// 10-class tile (2 row loads and 10 weight loads from a packed panel feed 20 FMAs), long rows in k-chunks sized from
/// L1 so the panel's chunk stays there, the twenty dot products finished by one transpose-and-add tree (for ten classes
/// stored row-major with two vector read-modify-writes); uint8 rows are converted inside the tile. Backward: a
/// 10-class × 32-float tile (2 row loads and 10 broadcasts feed 20 FMAs) that also prefetches the next block while it
/// computes; uint8 rows are converted again there rather than read back as float rows the forward pass wrote (a quarter
/// of the bytes through L2: the CIFAR-10 shape's pass 15 % faster). Leftover classes use 4-row × 5-class and 5-class ×
/// 64-float tiles. Scores and E may be row- or class-major: element (r, c) sits at r·rs + c·cs. With exactly ten classes
/// the engine asks both passes for nine (lastDerived): the tenth class's multiply-adds are skipped, a tenth of the work.
/// </summary>
internal static unsafe class Avx512Kernels
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;


    /// <summary>Classes per panel of <see cref="PackPanels"/>.</summary>
    public const int PanelClasses = 10;

    /// <summary>
    /// Most floats per k-chunk of the forward pass: a panel's chunk (ten classes) fills at most a third of L1, so it
    /// stays there while the rows stream past and the rows ahead are prefetched into L1 (48 KiB: 400 floats, so
    /// Fashion-MNIST's 784 go in two chunks; a single 784-float chunk was ~2–4 % slower).
    /// </summary>
    private static readonly int MaxChunkFloats = HostCaches.L1Data / 3 / (PanelClasses * sizeof(float)) / 16 * 16;

    /// <summary>
    /// The same for uint8 rows, whose bytes take a quarter of the room: two thirds of L1 (48 KiB: 816 floats, so
    /// Fashion-MNIST's 784 go in one chunk and the CIFAR-10 shape's 3072 in four; 4–8 % faster passes than
    /// <see cref="MaxChunkFloats"/>).
    /// </summary>
    private static readonly int MaxByteChunkFloats = HostCaches.L1Data * 2 / 3 / (PanelClasses * sizeof(float)) / 16 * 16;

    /// <summary>The k-chunk for rows of S floats: S split into equal chunks of at most <paramref name="most"/>.</summary>
    private static int ChunkFloats(int S, int most)
    {
        int chunks = (S + most - 1) / most;
        return ((S + chunks - 1) / chunks + 15) & ~15;
    }

    /// <summary>
    /// Rearranges the first ⌊C/10⌋·10 rows of w (C × S, row-major) into panels of ten classes, each stored
    /// k-step by k-step: panel p, step k/16, class c, lane l at p·10·S + k·10 + c·16 + l. The forward tile then reads
    /// its ten weight vectors from one advancing pointer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanels(float* w, int C, int S, float* panels)
    {
        for (int p = 0; p + PanelClasses <= C; p += PanelClasses)
        {
            float* dst = panels + (long)p * S;
            for (int k = 0; k < S; k += 16)
                for (int c = 0; c < PanelClasses; c++)
                    Vector512.Store(Vector512.Load(w + (long)(p + c) * S + k), dst + k * PanelClasses + c * 16);
        }
    }

    /// <summary>Floats between the class columns of the engine's class-major scores and E: a block has at most 256 rows.</summary>
    public const int ColumnStride = 256;

    /// <summary>
    /// Whether a ten-class tile computes its last class, or leaves it to the caller, which derives it (see
    /// <see cref="CpuSoftmaxLoss"/>: with ten classes the engine scores classes 0…8 against class 9, whose score is then 0,
    /// and class 9's weight gradient is minus the sum of the others').
    /// </summary>
    internal interface ILastClass
    {
        static abstract bool Computed { get; }
    }

    /// <summary>All ten classes.</summary>
    internal readonly struct LastComputed : ILastClass
    {
        public static bool Computed => true;
    }

    /// <summary>Nine classes: the forward tile gives class 9 its bias alone, the backward tile leaves its gradient untouched.</summary>
    internal readonly struct LastDerived : ILastClass
    {
        public static bool Computed => false;
    }

    /// <summary>Where a forward tile's row values come from.</summary>
    private interface IRowSource
    {
        /// <summary>Sixteen values of the row at p from element k; <paramref name="copy"/> receives them where needed.</summary>
        static abstract Vector512<float> Load(void* p, int k, float* copy);

        /// <summary>Sixteen values of the row at p from element k, as float32.</summary>
        static abstract Vector512<float> Read(void* p, int k);

        /// <summary>Asks for the cache line holding element k of the row at p, once per line.</summary>
        static abstract void Prefetch(void* p, int k);

        /// <summary>Most floats per k-chunk of a forward panel over these rows.</summary>
        static abstract int MostChunkFloats { get; }
    }

    /// <summary>Rows already in float32.</summary>
    private readonly struct FloatRows : IRowSource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(void* p, int k, float* copy) => Vector512.Load((float*)p + k);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Read(void* p, int k) => Vector512.Load((float*)p + k);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Prefetch(void* p, int k) => Sse.Prefetch0((float*)p + k);

        public static int MostChunkFloats => MaxChunkFloats;
    }

    /// <summary>
    /// Raw uint8 rows, converted (unscaled, so exactly) as they are read, and written to the block's float rows for the
    /// forward tiles of the classes past the first panel.
    /// </summary>
    private readonly struct ByteRows : IRowSource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(void* p, int k, float* copy)
        {
            var v = Read(p, k);
            Vector512.Store(v, copy + k);
            return v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Read(void* p, int k) =>
            Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((byte*)p + k)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Prefetch(void* p, int k)
        {
            if ((k & 63) == 0) Sse.Prefetch0((byte*)p + k);
        }

        public static int MostChunkFloats => MaxByteChunkFloats;
    }

    /// <summary><see cref="ByteRows"/> where no later tile needs the float rows (ten classes): nothing is written.</summary>
    private readonly struct UncopiedByteRows : IRowSource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(void* p, int k, float* copy) => ByteRows.Read(p, k);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Read(void* p, int k) => ByteRows.Read(p, k);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Prefetch(void* p, int k) => ByteRows.Prefetch(p, k);

        public static int MostChunkFloats => MaxByteChunkFloats;
    }

    /// <summary>
    /// <see cref="Forward"/> for raw uint8 rows src[r] of D bytes (D a multiple of 16; the scale belongs in w): the
    /// first panel converts each row as it reads it, and where more classes follow leaves it in x[r] (float32,
    /// unscaled) for their tiles. The rows are read from memory once; the backward pass reads the bytes again from L2
    /// (<see cref="BackwardBytes"/>), a quarter of the float rows' traffic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardBytes(byte** src, float** x, int rows, int ahead, int S, int D, float* w, float* panels, float* b, int C, float* scores, int rs, int cs, bool lastDerived = false)
    {
        if (!CanFuseBytes(C, D, S))
        {
            for (int r = 0; r < rows; r++) ConvertBytes(src[r], D, 1f, x[r]);
            Forward(x, rows, 0, S, w, panels, b, C, scores, rs, cs, lastDerived: lastDerived);
            return;
        }
        if (ConvertsBytesWithoutCopy(C, D, S))
        {
            if (lastDerived) Panel<UncopiedByteRows, LastDerived>((void**)src, x, rows, ahead, S, panels, b, scores, rs, cs);
            else Panel<UncopiedByteRows, LastComputed>((void**)src, x, rows, ahead, S, panels, b, scores, rs, cs);
            return;
        }
        Panel<ByteRows, LastComputed>((void**)src, x, rows, ahead, S, panels, b, scores, rs, cs);
        Forward(x, rows, 0, S, w, panels, b, C, scores, rs, cs, firstClass: PanelClasses);
    }

    /// <summary>Whether <see cref="ForwardBytes"/> converts inside its first panel (else it converts first).</summary>
    public static bool CanFuseBytes(int C, int D, int S) => C >= PanelClasses && D % 16 == 0 && D == S;

    /// <summary>
    /// Whether <see cref="ForwardBytes"/> converts without writing float rows at all (ten classes, fused): then x is not
    /// read or written and may hold nulls.
    /// </summary>
    public static bool ConvertsBytesWithoutCopy(int C, int D, int S) => C == PanelClasses && CanFuseBytes(C, D, S);

    /// <summary>One panel of ten classes over all rows, chunk by chunk (the panel's chunk stays in L1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel<T, TL>(void** x, float** copy, int rows, int ahead, int S, float* panel, float* b, float* scores, int rs, int cs)
        where T : struct, IRowSource where TL : struct, ILastClass
    {
        // Rows r + ahead and r + 1 + ahead (x holds rows + ahead pointers) stream in while rows r, r + 1 are computed.
        float* tmp = stackalloc float[PanelClasses * 2];
        // The bias twice over, for the tile's two rows of row-major scores.
        float* bias = stackalloc float[PanelClasses * 2];
        for (int c = 0; c < PanelClasses * 2; c++) bias[c] = b[c % PanelClasses];
        int chunk = ChunkFloats(S, T.MostChunkFloats);
        for (int k0 = 0; k0 < S; k0 += chunk)
        {
            int len = Math.Min(chunk, S - k0);
            float* wp = panel + k0 * PanelClasses;
            int r = 0;
            for (; r + 2 <= rows; r += 2)
            {
                Tile2x10<T, TL>(x[r], x[r + 1], x[r + ahead], x[r + 1 + ahead], copy[r], copy[r + 1], k0, len, wp, bias, k0 == 0, scores + (long)r * rs, rs, cs);
            }
            if (r < rows)
            {
                // The odd last row goes through the tile as both of its rows.
                for (int c = 0; c < PanelClasses; c++) tmp[c] = scores[(long)r * rs + (long)c * cs];
                Tile2x10<T, TL>(x[r], x[r], x[r], x[r], copy[r], copy[r], k0, len, wp, bias, k0 == 0, tmp, PanelClasses, 1);
                for (int c = 0; c < PanelClasses; c++) scores[(long)r * rs + (long)c * cs] = tmp[c];
            }
        }
    }

    /// <summary>
    /// scores = X · wᵀ + b, where row r of X starts at x[r] (x holds rows + ahead pointers: the rows
    /// <paramref name="ahead"/> places on are prefetched) and the score of row r, class c goes to
    /// scores[r·rs + c·cs] (rs = C, cs = 1 is row-major; rs = 1, cs = rows is class-major);
    /// <paramref name="panels"/> holds the first ⌊C/10⌋·10 rows of w as <see cref="PackPanels"/> lays them out, w
    /// itself (C × S, row-major) the rest. With <paramref name="lastDerived"/> (C = 10 only) class 9 gets its bias alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float** x, int rows, int ahead, int S, float* w, float* panels, float* b, int C, float* scores, int rs, int cs, int firstClass = 0, bool lastDerived = false)
    {
        int c0 = firstClass;
        // Ten classes at a time read each row once per tile (C = 10 reads the block once); the panel that ends at C
        // leaves its last class out where it is derived.
        for (; c0 + PanelClasses <= C; c0 += PanelClasses)
        {
            float* panel = panels + (long)c0 * S, bc = b + c0, sc = scores + (long)c0 * cs;
            if (lastDerived && c0 + PanelClasses == C) Panel<FloatRows, LastDerived>((void**)x, x, rows, ahead, S, panel, bc, sc, rs, cs);
            else Panel<FloatRows, LastComputed>((void**)x, x, rows, ahead, S, panel, bc, sc, rs, cs);
        }
        for (; c0 + 5 <= C; c0 += 5)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4) Tile4x5(x + r, r + 8 <= rows ? x + r + 4 : x + r, S, w + c0 * S, b + c0, scores + (long)r * rs + (long)c0 * cs, rs, cs);
            for (; r < rows; r++)
                for (int c = c0; c < c0 + 5; c++) scores[(long)r * rs + (long)c * cs] = Dot(x[r], w + c * S, S) + b[c];
        }
        for (; c0 < C; c0++)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4) Tile4x1(x + r, S, w + c0 * S, b[c0], scores + (long)r * rs + (long)c0 * cs, rs);
            for (; r < rows; r++) scores[(long)r * rs + (long)c0 * cs] = Dot(x[r], w + c0 * S, S) + b[c0];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x5(float** rows, float** next, int S, float* w, float* b, float* o, int rs, int cs)
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
        float* tmp = stackalloc float[20];
        Vector512.Store(Sum16(a00, a01, a02, a03, a04, a10, a11, a12, a13, a14, a20, a21, a22, a23, a24, a30), tmp);
        Vector128.Store(Sum4(a31, a32, a33, a34), tmp + 16);
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 5; c++) o[(long)i * rs + (long)c * cs] = tmp[i * 5 + c] + b[c];
    }

    /// <summary>
    /// Rows x0 and x1 against one panel chunk, for ten classes: o[c·cs] (row 0) and o[rs + c·cs] (row 1) get the dot
    /// products plus b[c] (b holds the ten biases twice) on the first chunk, or plus what they hold on later ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile2x10<T, TL>(void* x0, void* x1, void* p0, void* p1, float* copy0, float* copy1, int k0, int len, float* wp, float* b, bool first, float* o, int rs, int cs)
        where T : struct, IRowSource where TL : struct, ILastClass
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
        Vector512<float> a5 = default, a6 = default, a7 = default, a8 = default, a9 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default;
        Vector512<float> c5 = default, c6 = default, c7 = default, c8 = default, c9 = default;
        for (int k = k0, end = k0 + len; k < end; k += 16, wp += 16 * PanelClasses)
        {
            // The next pair of rows streams in while this one is computed.
            T.Prefetch(p0, k); T.Prefetch(p1, k);
            var v = T.Load(x0, k, copy0); var u = T.Load(x1, k, copy1);
            var m = Vector512.Load(wp); a0 = Vector512.FusedMultiplyAdd(v, m, a0); c0 = Vector512.FusedMultiplyAdd(u, m, c0);
            m = Vector512.Load(wp + 16); a1 = Vector512.FusedMultiplyAdd(v, m, a1); c1 = Vector512.FusedMultiplyAdd(u, m, c1);
            m = Vector512.Load(wp + 32); a2 = Vector512.FusedMultiplyAdd(v, m, a2); c2 = Vector512.FusedMultiplyAdd(u, m, c2);
            m = Vector512.Load(wp + 48); a3 = Vector512.FusedMultiplyAdd(v, m, a3); c3 = Vector512.FusedMultiplyAdd(u, m, c3);
            m = Vector512.Load(wp + 64); a4 = Vector512.FusedMultiplyAdd(v, m, a4); c4 = Vector512.FusedMultiplyAdd(u, m, c4);
            m = Vector512.Load(wp + 80); a5 = Vector512.FusedMultiplyAdd(v, m, a5); c5 = Vector512.FusedMultiplyAdd(u, m, c5);
            m = Vector512.Load(wp + 96); a6 = Vector512.FusedMultiplyAdd(v, m, a6); c6 = Vector512.FusedMultiplyAdd(u, m, c6);
            m = Vector512.Load(wp + 112); a7 = Vector512.FusedMultiplyAdd(v, m, a7); c7 = Vector512.FusedMultiplyAdd(u, m, c7);
            m = Vector512.Load(wp + 128); a8 = Vector512.FusedMultiplyAdd(v, m, a8); c8 = Vector512.FusedMultiplyAdd(u, m, c8);
            if (!TL.Computed) continue;
            m = Vector512.Load(wp + 144); a9 = Vector512.FusedMultiplyAdd(v, m, a9); c9 = Vector512.FusedMultiplyAdd(u, m, c9);
        }
        // Twenty dot products finish in one transpose-and-add tree (sixteen) and a small one (four): row 0's ten sums,
        // then row 1's.
        var lo = Sum16(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, c0, c1, c2, c3, c4, c5);
        var hi = Sum4(c6, c7, c8, c9);
        if (cs == 1 && rs == PanelClasses)
        {
            // Row-major scores of ten classes: the two rows are twenty consecutive floats, added to in two vectors.
            lo += Vector512.Load(first ? b : o);
            hi += Vector128.Load((first ? b : o) + 16);
            Vector512.Store(lo, o);
            Vector128.Store(hi, o + 16);
            return;
        }
        float* tmp = stackalloc float[20];
        Vector512.Store(lo, tmp);
        Vector128.Store(hi, tmp + 16);
        float* o1 = o + rs;
        for (int c = 0; c < PanelClasses; c++)
        {
            long i = (long)c * cs;
            o[i] = tmp[c] + (first ? b[c] : o[i]);
            o1[i] = tmp[PanelClasses + c] + (first ? b[c] : o1[i]);
        }
    }

    /// <summary>Lane i of the result is the sum of the sixteen lanes of dᵢ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sum16(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3,
        Vector512<float> d4, Vector512<float> d5, Vector512<float> d6, Vector512<float> d7, Vector512<float> d8,
        Vector512<float> d9, Vector512<float> d10, Vector512<float> d11, Vector512<float> d12, Vector512<float> d13,
        Vector512<float> d14, Vector512<float> d15)
    {
        // The tree below leaves input j in lane j with inputs 4…7 and 8…11 swapped; feeding them swapped puts Σ dᵢ in lane i.
        return Tree16(d0, d1, d2, d3, d8, d9, d10, d11, d4, d5, d6, d7, d12, d13, d14, d15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tree16(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7, Vector512<float> v8,
        Vector512<float> v9, Vector512<float> v10, Vector512<float> v11, Vector512<float> v12, Vector512<float> v13,
        Vector512<float> v14, Vector512<float> v15)
    {
        // Round A (256-bit halves): t_i = [vᵢ, vᵢ₊₈] folded to 8 lanes each, as 128-bit quarters [vᵢ vᵢ vᵢ₊₈ vᵢ₊₈].
        var t0 = Halves(v0, v8); var t1 = Halves(v1, v9); var t2 = Halves(v2, v10); var t3 = Halves(v3, v11);
        var t4 = Halves(v4, v12); var t5 = Halves(v5, v13); var t6 = Halves(v6, v14); var t7 = Halves(v7, v15);
        // Round B (128-bit quarters): u_i quarters = [vᵢ, vᵢ₊₈, vᵢ₊₄, vᵢ₊₁₂], four partial sums each.
        var u0 = Quarters(t0, t4); var u1 = Quarters(t1, t5); var u2 = Quarters(t2, t6); var u3 = Quarters(t3, t7);
        // Round C (64-bit pairs): per quarter, x0 = [u0 u0 u1 u1] and x1 = [u2 u2 u3 u3] as two partials each.
        var x0 = Avx512F.Add(Avx512F.UnpackLow(u0.AsDouble(), u1.AsDouble()).AsSingle(), Avx512F.UnpackHigh(u0.AsDouble(), u1.AsDouble()).AsSingle());
        var x1 = Avx512F.Add(Avx512F.UnpackLow(u2.AsDouble(), u3.AsDouble()).AsSingle(), Avx512F.UnpackHigh(u2.AsDouble(), u3.AsDouble()).AsSingle());
        // Round D (32-bit lanes): per quarter [u0 u1 u2 u3]; quarters hold vᵢ, vᵢ₊₈, vᵢ₊₄, vᵢ₊₁₂ for i = 0…3.
        return Avx512F.Add(Avx512F.Shuffle(x0, x1, 0x88), Avx512F.Shuffle(x0, x1, 0xDD));
    }

    /// <summary>Quarters [a₀+a₂, a₁+a₃, b₀+b₂, b₁+b₃] (128-bit quarters of a and b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Add(Avx512F.Shuffle4x128(a, b, 0x44), Avx512F.Shuffle4x128(a, b, 0xEE));

    /// <summary>Quarters [a₀+a₁, a₂+a₃, b₀+b₁, b₂+b₃].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Add(Avx512F.Shuffle4x128(a, b, 0x88), Avx512F.Shuffle4x128(a, b, 0xDD));

    /// <summary>Lane i of the result is the sum of the sixteen lanes of vᵢ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        // Quarters [v0 v1 v2 v3] with four partial sums each, then two in-quarter rounds; lane 4q holds Σ v_q.
        var u = Quarters(Halves(v0, v1), Halves(v2, v3));
        u = Avx512F.Add(u, Avx512F.Permute4x32(u, 0xB1));
        u = Avx512F.Add(u, Avx512F.Permute4x32(u, 0x4E));
        return Avx512F.PermuteVar16x32(u, Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().GetLower();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1(float** rows, int S, float* w, float b, float* o, int rs)
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
        var t = Sum4(a0, a1, a2, a3);
        o[0] = t[0] + b; o[rs] = t[1] + b; o[2L * rs] = t[2] + b; o[3L * rs] = t[3] + b;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* x, float* w, int S)
    {
        Vector512<float> a = default;
        for (int k = 0; k < S; k += 16) a = Vector512.FusedMultiplyAdd(Vector512.Load(x + k), Vector512.Load(w + k), a);
        return Vector512.Sum(a);
    }

    /// <summary>
    /// g (C × S) += eᵀ · X, summed over the block in float32 first, then added into g: float64, or a float32 stage
    /// that the caller widens into its float64 gradient every few blocks (see <see cref="AddTo"/>); row r of X starts
    /// at x[r] and e(r, c) is e[r·rs + c·cs]. With <paramref name="lastDerived"/> (C = 10 only) class 9's rows of g are
    /// left as they were.
    /// </summary>
    public static void Backward<TG>(float** x, int rows, int S, float* e, int rs, int cs, int C, TG* g, byte* next = null, long nextBytes = 0, bool lastDerived = false)
        where TG : unmanaged
    {
        if (lastDerived) BackwardRows<FloatRows, TG, LastDerived>((void**)x, rows, S, e, rs, cs, C, g, next, nextBytes);
        else BackwardRows<FloatRows, TG, LastComputed>((void**)x, rows, S, e, rs, cs, C, g, next, nextBytes);
    }

    /// <summary>
    /// <see cref="Backward"/> for raw uint8 rows x[r] of S bytes (unscaled: the scale belongs to the caller), converted
    /// as they are read. The same bits as the float rows <see cref="ForwardBytes"/> converts them into, from a quarter
    /// of the bytes: the CIFAR-10 shape's block is 120 KiB of L2 to read again instead of 480.
    /// </summary>
    public static void BackwardBytes<TG>(byte** x, int rows, int S, float* e, int rs, int cs, int C, TG* g, byte* next = null, long nextBytes = 0, bool lastDerived = false)
        where TG : unmanaged
    {
        if (lastDerived) BackwardRows<ByteRows, TG, LastDerived>((void**)x, rows, S, e, rs, cs, C, g, next, nextBytes);
        else BackwardRows<ByteRows, TG, LastComputed>((void**)x, rows, S, e, rs, cs, C, g, next, nextBytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRows<TR, TG, TL>(void** x, int rows, int S, float* e, int rs, int cs, int C, TG* g, byte* next, long nextBytes)
        where TR : struct, IRowSource where TG : unmanaged where TL : struct, ILastClass
    {
        byte* nextEnd = next + nextBytes;
        // Spread prefetches of the next block over this block's rows, two cache lines per row step, so that block is in
        // L2 when the forward pass reaches it. (Spreading them over the forward pass as well was slower, at any share
        // and rate tried.) A block of at most a quarter of L2 is asked for with prefetcht0 (through L1), a larger one
        // with prefetcht1: passes alternated in one process, t0 was 3–4 % faster on Fashion-MNIST float32 (184 KiB
        // blocks) and 2 % slower on the CIFAR-10 shape (480 KiB); prefetchnta and t2 were no better than t1.
        bool throughL1 = nextBytes <= HostCaches.L2 / 4;
        // Float rows of a next block as long as this one are asked for in the order the forward pass reads them: the
        // tile of strip t fetches strip t of every next row, so the first k-chunks arrive first and a fetch still on its
        // way when the forward pass starts is one it needs late. Row r takes strip t − r (wrapping to the row's end),
        // so that rows 4 KiB multiples apart do not all ask for the same L1 set. Against fetching the next block in
        // address order, passes alternated in one process (medians of 21 pairs, 2026-12-02): Fashion-MNIST 0.97–1.01,
        // median of five runs 0.97; the CIFAR-10 shape 0.96–1.02, median of seven 0.98. Without the rotation Fashion-MNIST
        // read 0.95, but the CIFAR-10 shape, whose 12 KiB rows alias, 1.13–1.18.
        long rowBytes = (long)S * sizeof(float);
        bool inReadOrder = typeof(TR) == typeof(FloatRows) && nextBytes == rows * rowBytes;
        // Float rows of two pages or more are asked for only in the first half of each 4 KiB page: the L2's own stream
        // prefetcher, started by those lines, brings the rest, and the software prefetches that would have asked for it
        // only took L1 miss buffers and L1 room. Passes alternated in one process (21 pairs, 2 threads, 2026-12-02):
        // the CIFAR-10 shape 0.94–0.95 in five runs (0.94 at one thread), 8 KiB rows 0.95, 24 KiB rows 0.94, 4 KiB rows
        // 0.99; Fashion-MNIST's 3 KiB rows, which start a stream too short for the prefetcher, 1.07 (so they keep every
        // line), and the uint8 rows (fetched in address order) 1.01–1.04. No prefetch at all was 1.04 on the CIFAR shape.
        int prefetchedPageBytes = inReadOrder && rowBytes >= 2 * 4096 ? 2048 : 4096;
        byte* nextFirst = next;
        int c0 = 0;
        // Ten classes at a time: each 32-float strip of a row is loaded once for all ten (C = 10 reads the block once).
        for (; c0 + 10 <= C; c0 += 10)
        {
            float* ec = e + (long)c0 * cs;
            int k = 0;
            for (; k + 32 <= S; k += 32)
            {
                // Row r's lines: from prefetch, step bytes on per row, and a row's length more at row wrapRow (t + 1).
                byte* prefetch = next < nextEnd ? next : null;
                long step = 128;
                int wrapRow = -1;
                if (inReadOrder)
                {
                    prefetch = nextFirst + k * sizeof(float);
                    step = rowBytes - 128;
                    wrapRow = k / 32 + 1;
                }
                else next += rows * 128L;
                if (cs == ColumnStride) Tile10x32<TR, EngineColumns, TG, TL>(x, k, rows, ec, rs, cs, g + (long)c0 * S + k, S, prefetch, step, wrapRow, rowBytes, throughL1, prefetchedPageBytes);
                else Tile10x32<TR, AnyColumns, TG, TL>(x, k, rows, ec, rs, cs, g + (long)c0 * S + k, S, prefetch, step, wrapRow, rowBytes, throughL1, prefetchedPageBytes);
            }
            if (k < S) Tile10x16<TR, TG, TL>(x, k, rows, ec, rs, cs, g + (long)c0 * S + k, S);
        }
        for (; c0 + 5 <= C; c0 += 5)
        {
            float* ec = e + (long)c0 * cs;
            int k = 0;
            for (; k + 64 <= S; k += 64) Tile5x64<TR, TG>(x, k, rows, ec, rs, cs, g + (long)c0 * S + k, S);
            for (; k < S; k += 16)
                for (int c = c0; c < c0 + 5; c++) Column16<TR, TG>(x, k, rows, e + (long)c * cs, rs, g + (long)c * S + k);
        }
        for (; c0 < C; c0++)
            for (int k = 0; k < S; k += 16) Column16<TR, TG>(x, k, rows, e + (long)c0 * cs, rs, g + (long)c0 * S + k);
    }

    /// <summary>How far apart the class columns of E are: a constant the JIT folds into the addresses, or cs itself.</summary>
    private interface IColumnStride
    {
        static abstract int Of(int cs);
    }

    /// <summary>The engine's class-major E: <see cref="ColumnStride"/> floats per column.</summary>
    private readonly struct EngineColumns : IColumnStride
    {
        public static int Of(int cs) => ColumnStride;
    }

    /// <summary>Any other layout, row-major included.</summary>
    private readonly struct AnyColumns : IColumnStride
    {
        public static int Of(int cs) => cs;
    }

    /// <summary>
    /// Ten classes × 32 floats of the gradient over the block's rows, prefetching two cache lines of the next block per
    /// row (those that lie in the first <paramref name="pageBytes"/> of their 4 KiB page). The ten values of E for a row
    /// are read at fixed offsets from one pointer (with the engine's column stride, constants), so the loop needs no
    /// spilled pointers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile10x32<TR, TC, TG, TL>(void** rowPointers, int k, int rows, float* e, int rs, int cs, TG* g, int S, byte* prefetch, long step, int wrapRow, long wrap, bool throughL1, int pageBytes)
        where TR : struct, IRowSource where TC : struct, IColumnStride where TG : unmanaged where TL : struct, ILastClass
    {
        Vector512<float> g0 = default, g1 = default, g2 = default, g3 = default, g4 = default;
        Vector512<float> g5 = default, g6 = default, g7 = default, g8 = default, g9 = default;
        Vector512<float> h0 = default, h1 = default, h2 = default, h3 = default, h4 = default;
        Vector512<float> h5 = default, h6 = default, h7 = default, h8 = default, h9 = default;
        int c1 = TC.Of(cs);
        for (int r = 0; r < rows; r++, e += rs)
        {
            if (prefetch != null)
            {
                if (r == wrapRow) prefetch += wrap;
                if (((nint)prefetch & 4095) < pageBytes)
                {
                    if (throughL1) { Sse.Prefetch0(prefetch); Sse.Prefetch0(prefetch + 64); }
                    else { Sse.Prefetch1(prefetch); Sse.Prefetch1(prefetch + 64); }
                }
                prefetch += step;
            }
            void* x = rowPointers[r];
            var v = TR.Read(x, k); var w = TR.Read(x, k + 16);
            var u = Vector512.Create(e[0]); g0 = Vector512.FusedMultiplyAdd(v, u, g0); h0 = Vector512.FusedMultiplyAdd(w, u, h0);
            u = Vector512.Create(e[c1]); g1 = Vector512.FusedMultiplyAdd(v, u, g1); h1 = Vector512.FusedMultiplyAdd(w, u, h1);
            u = Vector512.Create(e[2 * c1]); g2 = Vector512.FusedMultiplyAdd(v, u, g2); h2 = Vector512.FusedMultiplyAdd(w, u, h2);
            u = Vector512.Create(e[3 * c1]); g3 = Vector512.FusedMultiplyAdd(v, u, g3); h3 = Vector512.FusedMultiplyAdd(w, u, h3);
            u = Vector512.Create(e[4 * c1]); g4 = Vector512.FusedMultiplyAdd(v, u, g4); h4 = Vector512.FusedMultiplyAdd(w, u, h4);
            u = Vector512.Create(e[5 * c1]); g5 = Vector512.FusedMultiplyAdd(v, u, g5); h5 = Vector512.FusedMultiplyAdd(w, u, h5);
            u = Vector512.Create(e[6 * c1]); g6 = Vector512.FusedMultiplyAdd(v, u, g6); h6 = Vector512.FusedMultiplyAdd(w, u, h6);
            u = Vector512.Create(e[7 * c1]); g7 = Vector512.FusedMultiplyAdd(v, u, g7); h7 = Vector512.FusedMultiplyAdd(w, u, h7);
            u = Vector512.Create(e[8 * c1]); g8 = Vector512.FusedMultiplyAdd(v, u, g8); h8 = Vector512.FusedMultiplyAdd(w, u, h8);
            if (!TL.Computed) continue;
            u = Vector512.Create(e[9 * c1]); g9 = Vector512.FusedMultiplyAdd(v, u, g9); h9 = Vector512.FusedMultiplyAdd(w, u, h9);
        }
        AddWide(g, g0); AddWide(g + 16, h0); g += S; AddWide(g, g1); AddWide(g + 16, h1); g += S;
        AddWide(g, g2); AddWide(g + 16, h2); g += S; AddWide(g, g3); AddWide(g + 16, h3); g += S;
        AddWide(g, g4); AddWide(g + 16, h4); g += S; AddWide(g, g5); AddWide(g + 16, h5); g += S;
        AddWide(g, g6); AddWide(g + 16, h6); g += S; AddWide(g, g7); AddWide(g + 16, h7); g += S;
        AddWide(g, g8); AddWide(g + 16, h8);
        if (!TL.Computed) return;
        g += S; AddWide(g, g9); AddWide(g + 16, h9);
    }

    /// <summary>The last 16 floats of a row (S ≡ 16 mod 32) for ten classes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile10x16<TR, TG, TL>(void** rowPointers, int k, int rows, float* e, int rs, int cs, TG* g, int S)
        where TR : struct, IRowSource where TG : unmanaged where TL : struct, ILastClass
    {
        Vector512<float> g0 = default, g1 = default, g2 = default, g3 = default, g4 = default;
        Vector512<float> g5 = default, g6 = default, g7 = default, g8 = default, g9 = default;
        float* e0 = e, e1 = e0 + cs, e2 = e1 + cs, e3 = e2 + cs, e4 = e3 + cs;
        float* e5 = e4 + cs, e6 = e5 + cs, e7 = e6 + cs, e8 = e7 + cs, e9 = e8 + cs;
        long i = 0;
        for (int r = 0; r < rows; r++, i += rs)
        {
            var v = TR.Read(rowPointers[r], k);
            g0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e0[i]), g0); g1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e1[i]), g1);
            g2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e2[i]), g2); g3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e3[i]), g3);
            g4 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e4[i]), g4); g5 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e5[i]), g5);
            g6 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e6[i]), g6); g7 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e7[i]), g7);
            g8 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e8[i]), g8);
            if (TL.Computed) g9 = Vector512.FusedMultiplyAdd(v, Vector512.Create(e9[i]), g9);
        }
        AddWide(g, g0); g += S; AddWide(g, g1); g += S; AddWide(g, g2); g += S; AddWide(g, g3); g += S; AddWide(g, g4); g += S;
        AddWide(g, g5); g += S; AddWide(g, g6); g += S; AddWide(g, g7); g += S; AddWide(g, g8);
        if (TL.Computed) AddWide(g + S, g9);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile5x64<TR, TG>(void** rowPointers, int k, int rows, float* e, int rs, int cs, TG* g, int S)
        where TR : struct, IRowSource where TG : unmanaged
    {
        Vector512<float> g00 = default, g01 = default, g02 = default, g03 = default;
        Vector512<float> g10 = default, g11 = default, g12 = default, g13 = default;
        Vector512<float> g20 = default, g21 = default, g22 = default, g23 = default;
        Vector512<float> g30 = default, g31 = default, g32 = default, g33 = default;
        Vector512<float> g40 = default, g41 = default, g42 = default, g43 = default;
        float* e0 = e, e1 = e0 + cs, e2 = e1 + cs, e3 = e2 + cs, e4 = e3 + cs;
        long i = 0;
        for (int r = 0; r < rows; r++, i += rs)
        {
            void* x = rowPointers[r];
            var v0 = TR.Read(x, k); var v1 = TR.Read(x, k + 16);
            var v2 = TR.Read(x, k + 32); var v3 = TR.Read(x, k + 48);
            var u = Vector512.Create(e0[i]);
            g00 = Vector512.FusedMultiplyAdd(v0, u, g00); g01 = Vector512.FusedMultiplyAdd(v1, u, g01);
            g02 = Vector512.FusedMultiplyAdd(v2, u, g02); g03 = Vector512.FusedMultiplyAdd(v3, u, g03);
            u = Vector512.Create(e1[i]);
            g10 = Vector512.FusedMultiplyAdd(v0, u, g10); g11 = Vector512.FusedMultiplyAdd(v1, u, g11);
            g12 = Vector512.FusedMultiplyAdd(v2, u, g12); g13 = Vector512.FusedMultiplyAdd(v3, u, g13);
            u = Vector512.Create(e2[i]);
            g20 = Vector512.FusedMultiplyAdd(v0, u, g20); g21 = Vector512.FusedMultiplyAdd(v1, u, g21);
            g22 = Vector512.FusedMultiplyAdd(v2, u, g22); g23 = Vector512.FusedMultiplyAdd(v3, u, g23);
            u = Vector512.Create(e3[i]);
            g30 = Vector512.FusedMultiplyAdd(v0, u, g30); g31 = Vector512.FusedMultiplyAdd(v1, u, g31);
            g32 = Vector512.FusedMultiplyAdd(v2, u, g32); g33 = Vector512.FusedMultiplyAdd(v3, u, g33);
            u = Vector512.Create(e4[i]);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Column16<TR, TG>(void** x, int k, int rows, float* e, int rs, TG* g)
        where TR : struct, IRowSource where TG : unmanaged
    {
        Vector512<float> a = default;
        for (int r = 0; r < rows; r++, e += rs) a = Vector512.FusedMultiplyAdd(TR.Read(x[r], k), Vector512.Create(*e), a);
        AddWide(g, a);
    }

    /// <summary>g[0..16) += v, widened when g is float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWide<TG>(TG* g, Vector512<float> v)
        where TG : unmanaged
    {
        if (typeof(TG) == typeof(float))
        {
            Vector512.Store(Vector512.Load((float*)g) + v, (float*)g);
            return;
        }
        var (lo, hi) = Vector512.Widen(v);
        Vector512.Store(Vector512.Load((double*)g) + lo, (double*)g);
        Vector512.Store(Vector512.Load((double*)g + 8) + hi, (double*)g + 8);
    }

    /// <summary>g[i] += stage[i] (widened) and stage[i] = 0 for i &lt; n, n a multiple of 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddTo(float* stage, double* g, int n)
    {
        for (int i = 0; i < n; i += 16)
        {
            AddWide(g + i, Vector512.Load(stage + i));
            Vector512.Store(Vector512<float>.Zero, stage + i);
        }
    }

    /// <summary>
    /// exp(x) in float32 to within 1.2e-7 relative (Cephes' expf: x = n·ln 2 + r with ln 2 in two parts, a degree-6
    /// polynomial on |r| ≤ ln 2 / 2, then vscalefps for the 2ⁿ). x is first clamped at −150, so everything below −104
    /// comes out 0 (without the clamp, x = −1e12 gave −0 and −1e38 gave +Inf). Four times cheaper than Vector512.Exp,
    /// which computes in float64; the softmax only feeds it x ≤ 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Max(x, Vector512.Create(-150f));
        var n = Avx512F.RoundScale(x * Vector512.Create(1.44269504088896341f), 0x08); // nearest, no exceptions
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        return Avx512F.Scale(p, n);
    }

    /// <summary>Asks for <paramref name="bytes"/> bytes from <paramref name="p"/> to be brought into the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prefetch(void* p, int bytes)
    {
        if (!Sse.IsSupported) return;
        for (int o = 0; o < bytes; o += 64) Sse.Prefetch0((byte*)p + o);
    }

    /// <summary>dst[0..D) = src[0..D) · scale; the padding of dst is left as it is (zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

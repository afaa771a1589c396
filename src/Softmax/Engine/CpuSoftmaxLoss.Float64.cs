using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Softmax.Data;

namespace Softmax.Engine;

/// <summary>
/// The float64 arithmetic of the CPU engine: scores, softmax, loss and gradient sums in float64, computed from the
/// stored float32, uint8 or CSR rows block by block (each block is widened into a small float64 buffer; X is never
/// copied whole). It has no float32 rounding floor: F and the gradient carry ~1e-15 relative error, so L-BFGS can
/// reach the float64 optimum. About 2.5 times slower than the float32 kernels on Fashion-MNIST (18 vs 7 ms a pass,
/// 2 threads, AVX-512).
/// </summary>
public sealed unsafe partial class CpuSoftmaxLoss
{
    private Precision _arithmetic = Precision.Float32;
    private PinnedBuffer<double>? _w64; // dense: (C × S) row-major, zero padding; CSR: (D × C); 64-byte aligned (no weight vector load splits a cache line)
    private double[]? _b64;             // (C)
    private Worker64[]? _workers64;
    private Action<int>? _runPart64;
    private double[]? _rowWeights64;    // sample × class weight, not rounded to float32; null when every row weighs 1
    private bool _reciprocalLevels;     // uint8 rows: levels computed without a division (exact; see Float64Kernels.ReciprocalIsExact)

    /// <summary>The arithmetic of the sums now: <see cref="Precision.Float32"/> (the default) or <see cref="Precision.Float64"/>.</summary>
    public Precision Arithmetic => _arithmetic;

    /// <summary>Switches between float32 and float64 sums (float64 buffers are allocated on first use). Auto is not an arithmetic.</summary>
    public bool TrySetArithmetic(Precision arithmetic)
    {
        if (arithmetic == Precision.Auto) return false;
        if (arithmetic == Precision.Float64 && _workers64 is null)
        {
            int C = Classes;
            _w64 = new PinnedBuffer<double>(WeightLength);
            _b64 = new double[C];
            _rowWeights64 = SampleWeights.AreUniform(_data, _classWeights) ? null : SampleWeights.Combine(_data, _classWeights);
            _reciprocalLevels = _data.Features is ByteMatrix bytes && Float64Kernels.ReciprocalIsExact(bytes.Divisor);
            // Blocks of rows whose float64 copy fills half of L2, so that the per-block work on the gradient (a
            // read-modify-write of C·S doubles) is spread over enough rows. Alternating with the old rule (32 KiB of
            // floats) in one process, 2 threads: Fashion-MNIST 82 rows instead of 20 (80 measured: 0.95–0.98× the
            // time); CIFAR-10 shape 20 instead of 10, 0.80–0.81×; 512 features × 1000 classes 128 instead of 64 (against
            // 42 rows, 128 took 0.83× and 64 took 0.87–0.96×) (2026-12-02).
            int blockRows = (int)Math.Clamp(HostCaches.L2 / 2 / ((long)Stride * sizeof(double)) / 2 * 2, 8, 128);
            // Groups of about 256 rows, as in the float32 path; each sums into a float64 stage (dense rows only: a CSR
            // stage would be D × C) that is added into the gradient once per group, so a group can be computed by
            // another worker and added in its place (see StealSlots).
            int groupRows = IsSparse ? int.MaxValue : blockRows * BlocksPerGroup(blockRows);
            int slots = IsSparse ? 0 : StealSlotsFor((WeightLength + C) * (long)sizeof(double), groupRows, 1L << 20);
            _workers64 = new Worker64[_threads];
            for (int t = 0; t < _threads; t++) _workers64[t] = new Worker64(this, blockRows, groupRows, slots);
            _runPart64 = RunPart64;
        }
        _arithmetic = arithmetic;
        return true;
    }

    private void RunPart64(int t) => _workers64![t].Run(new ReadOnlySpan<Worker64>(_workers64, 0, _pendingParts), t, _pendingGradient);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private LossSums Run64(ReadOnlySpan<double> theta, RowSet rows, Span<double> gradientSums, bool withGradient)
    {
        Pack64(theta);
        int parts = Math.Clamp(rows.Count / MinRowsPerThread, 1, _threads);
        var workers = _workers64!;
        for (int t = 0; t < parts; t++) workers[t].Assign(Share(rows, t, parts));
        var team = new ReadOnlySpan<Worker64>(workers, 0, parts);
        if (parts == 1) workers[0].Run(team, 0, withGradient);
        else
        {
            (_pendingParts, _pendingGradient) = (parts, withGradient);
            WorkerTeam.Run(parts, _runPart64!, _parallel);
        }
        StolenGroups = 0;
        for (int t = 0; t < parts; t++) StolenGroups += workers[t].Absorb(withGradient);
        var sums = default(LossSums);
        for (int t = 0; t < parts; t++) sums += _workers64![t].Sums;
        if (withGradient) Reduce64(parts, gradientSums);
        return sums;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pack64(ReadOnlySpan<double> theta)
    {
        int C = Classes, D = Features, S = Stride;
        var w = _w64!.Span;
        if (IsSparse)
        {
            for (int c = 0; c < C; c++)
                for (int d = 0; d < D; d++) w[d * C + c] = theta[c * D + d];
        }
        else
            for (int c = 0; c < C; c++) ScoredRow(theta, c, w.Slice(c * S, D));
        for (int c = 0; c < C; c++) _b64![c] = ScoredBias(theta, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Reduce64(int parts, Span<double> grad)
    {
        int C = Classes, D = Features, S = Stride;
        for (int t = 0; t < parts; t++)
        {
            var g = _workers64![t].Gradient;
            if (IsSparse)
            {
                for (int d = 0; d < D; d++)
                    for (int c = 0; c < C; c++) grad[c * D + d] += g[d * C + c];
            }
            else
            {
                int computed = LastClassDerived ? C - 1 : C;
                for (int c = 0; c < computed; c++) TensorPrimitives.Add(grad.Slice(c * D, D), g.Slice(c * S, D), grad.Slice(c * D, D));
                if (LastClassDerived) SubtractSum(g, grad, 1);
            }
            var bias = g[^C..];
            TensorPrimitives.Add(grad.Slice(C * D, C), bias, grad.Slice(C * D, C));
        }
    }

    /// <summary>One thread's float64 buffers: a widened block of rows, its scores, and the gradient sums.</summary>
    private sealed class Worker64 : IShareOwner
    {
        private readonly CpuSoftmaxLoss _e;
        private readonly int _blockRows, _groupRows;
        private readonly PinnedBuffer<double> _stage; // dense: (C × S) + C, the sums of the group being computed; empty for CSR
        private double* _target;                  // where a block adds its gradient and bias sums: _stage, a slot, or _grad (CSR)
        private readonly WorkShare _share;
        WorkShare IShareOwner.Share => _share;
        private readonly StolenGroup64[] _slots;  // groups this worker computed for others in this evaluation
        private int _slotsUsed;
        private double _loss, _weight;
        private readonly PinnedBuffer<double> _x; // (blockRows × S), zero padding past D; 64-byte aligned (a worker whose block started 56 bytes past a line split every store: 2× slower widening)
        private readonly double[] _scores;   // (blockRows × C): scores, then E = s·(p − e_y)
        private readonly PinnedBuffer<double> _grad; // dense: (C × S) + C; CSR: (D × C) + C; 64-byte aligned
        private readonly double[] _shiftedTrue; // (blockRows): o_y − max o of each row

        public Worker64(CpuSoftmaxLoss engine, int blockRows, int groupRows, int slots)
        {
            _e = engine;
            (_blockRows, _groupRows) = (blockRows, groupRows);
            int C = engine.Classes;
            _x = new PinnedBuffer<double>(engine.IsSparse ? 0 : blockRows * engine.Stride);
            _scores = new double[blockRows * C];
            _grad = new PinnedBuffer<double>(engine.WeightLength + C);
            _stage = new PinnedBuffer<double>(engine.IsSparse ? 0 : _grad.Length);
            _shiftedTrue = new double[blockRows];
            _slots = new StolenGroup64[slots];
            _share = new WorkShare(slots * (engine.Threads - 1));
            for (int i = 0; i < slots; i++) _slots[i] = new StolenGroup64(_grad.Length);
        }

        public LossSums Sums { get; private set; }

        public ReadOnlySpan<double> Gradient => _grad.Span;

        /// <summary>Makes <paramref name="rows"/> this worker's share. Called before any worker runs.</summary>
        public void Assign(RowSet rows)
        {
            _share.Assign(rows, _groupRows);
            _slotsUsed = 0;
        }

        /// <summary>
        /// This worker's share group by group (each summed in _stage, then added into _grad), then, while it has free
        /// slots, groups from the back of the others' shares; <see cref="Absorb"/> adds those in.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(ReadOnlySpan<Worker64> team, int self, bool withGradient)
        {
            if (withGradient)
            {
                _grad.Span.Clear();
                _stage.Span.Clear();
            }
            _loss = _weight = 0;
            bool staged = _stage.Length > 0;
            while (_share.TakeFront(out int group))
            {
                _e.BeforeOwnGroup?.Invoke(self);
                if (!staged)
                {
                    _target = _grad.Pointer;
                    RunGroup(_share.Group(group), withGradient, ref _loss, ref _weight);
                    continue;
                }
                _target = _stage.Pointer;
                double loss = 0, weight = 0;
                RunGroup(_share.Group(group), withGradient, ref loss, ref weight);
                AddGroup(_stage.Pointer, loss, weight, withGradient);
            }
            while (_slotsUsed < _slots.Length && WorkShare.TakeFromOthers(team, self, out var share, out int group))
            {
                var slot = _slots[_slotsUsed++];
                slot.Begin();
                share.Hand(group, slot);
                _target = slot.Sums.Pointer;
                RunGroup(share.Group(group), withGradient, ref slot.Loss, ref slot.Weight);
            }
            Sums = new LossSums(_loss, _weight);
            GC.KeepAlive(this);
        }

        /// <summary>Adds the groups others took from this share, in group order; returns how many there were.</summary>
        public int Absorb(bool withGradient)
        {
            int back = _share.FirstTaken;
            for (int g = back; g < _share.Groups; g++)
            {
                var slot = _share.Taken<StolenGroup64>(g);
                AddGroup(slot.Sums.Pointer, slot.Loss, slot.Weight, withGradient);
            }
            Sums = new LossSums(_loss, _weight);
            GC.KeepAlive(this);
            return _share.Groups - back;
        }

        /// <summary>A group's sums into this share's: the gradient sums added into _grad (and emptied), loss and weight.</summary>
        private void AddGroup(double* sums, double loss, double weight, bool withGradient)
        {
            _loss += loss;
            _weight += weight;
            if (!withGradient) return;
            var group = new Span<double>(sums, _grad.Length);
            TensorPrimitives.Add(_grad.Span, group, _grad.Span);
            group.Clear();
        }

        /// <summary>The blocks of a group: loss and weight into <paramref name="loss"/> and <paramref name="weight"/>, gradient sums into _target.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunGroup(RowSet rows, bool withGradient, ref double loss, ref double weight)
        {
            var target = new Span<double>(_target, _grad.Length);
            for (int start = 0; start < rows.Count; start += _blockRows)
            {
                int n = Math.Min(_blockRows, rows.Count - start);
                var block = rows.Sub(start, n);
                if (_e.IsSparse) SparseScores(block, n);
                else
                {
                    Widen(block, n);
                    Float64Kernels.Scores(_x.Span, n, _e.Stride, _e._w64!.Span, _e._b64!, _e.Classes, _scores, _e.LastClassDerived);
                }
                Softmax(block, n, withGradient, ref loss, ref weight, target);
                if (!withGradient) continue;
                if (_e.IsSparse) SparseBackward(block, n, target);
                else Float64Kernels.Backward(_x.Span, n, _e.Stride, _scores, _e.Classes, target, _e.LastClassDerived);
            }
        }

        /// <summary>The block's rows as float64 (uint8 rows as their float32 levels, <see cref="ByteMatrix.Levels"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Widen(RowSet block, int n)
        {
            int S = _e.Stride, D = _e.Features;
            var features = _e._data.Features;
            double* x = _x.Pointer;
            switch (features)
            {
                case DenseMatrix dense:
                    for (int r = 0; r < n; r++)
                    {
                        // Rows stream from memory: ask for the row two ahead while this one is widened.
                        if (r + 2 < n) Avx512Kernels.Prefetch(dense.Pointer + (long)block[r + 2] * S, D * sizeof(float));
                        Float64Kernels.Widen(dense.Pointer + (long)block[r] * S, x + (long)r * S, D);
                    }
                    break;
                case ByteMatrix bytes:
                    float divisor = bytes.Divisor, scale = bytes.Scale;
                    fixed (byte* src = bytes.Bytes)
                        for (int r = 0; r < n; r++)
                        {
                            if (r + 4 < n) Avx512Kernels.Prefetch(src + (long)block[r + 4] * D, D);
                            Float64Kernels.WidenLevels(src + (long)block[r] * D, x + (long)r * S, D, divisor, scale, _e._reciprocalLevels);
                        }
                    break;
                default:
                    for (int r = 0; r < n; r++) features.CopyRow(block[r], _x.Span.Slice(r * S, D));
                    break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SparseScores(RowSet block, int n)
        {
            var csr = (CsrMatrix)_e._data.Features;
            var pointers = csr.RowPointers;
            var columns = csr.ColumnIndices;
            var values = csr.Values;
            int C = _e.Classes;
            var wt = _e._w64!.Span;
            for (int r = 0; r < n; r++)
            {
                var o = _scores.AsSpan(r * C, C);
                _e._b64.CopyTo(o);
                int j = block[r];
                for (int k = (int)pointers[j], end = (int)pointers[j + 1]; k < end; k++)
                    TensorPrimitives.MultiplyAdd(wt.Slice(columns[k] * C, C), (double)values[k], o, o);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SparseBackward(RowSet block, int n, Span<double> grad)
        {
            var csr = (CsrMatrix)_e._data.Features;
            var pointers = csr.RowPointers;
            var columns = csr.ColumnIndices;
            var values = csr.Values;
            int C = _e.Classes;
            for (int r = 0; r < n; r++)
            {
                var e = _scores.AsSpan(r * C, C);
                int j = block[r];
                for (int k = (int)pointers[j], end = (int)pointers[j + 1]; k < end; k++)
                {
                    var g = grad.Slice(columns[k] * C, C);
                    TensorPrimitives.MultiplyAdd(e, (double)values[k], g, g);
                }
            }
        }

        /// <summary>
        /// Turns the block's scores into E = w·(p − e_y) in place and adds the loss, the weight and the bias gradient:
        /// −log p_y = log Σ exp(o − m) − (o_y − m). One exp per score, over the whole block at once.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Softmax(RowSet block, int n, bool withGradient, ref double loss, ref double weight, Span<double> sums)
        {
            int C = _e.Classes;
            var all = _scores.AsSpan(0, n * C);
            var labels = _e._data.Labels;
            for (int r = 0; r < n; r++)
            {
                var row = all.Slice(r * C, C);
                double max = TensorPrimitives.Max(row);
                _shiftedTrue[r] = row[labels[block[r]]] - max;
                TensorPrimitives.Subtract(row, max, row);
            }
            TensorPrimitives.Exp(all, all);
            var bias = sums[(sums.Length - C)..];
            for (int r = 0; r < n; r++)
            {
                int j = block[r];
                var row = all.Slice(r * C, C);
                double sum = TensorPrimitives.Sum(row), w = _e._rowWeights64?[j] ?? 1.0;
                loss += w * (Math.Log(sum) - _shiftedTrue[r]);
                weight += w;
                if (!withGradient) continue;
                TensorPrimitives.Multiply(row, w / sum, row);
                row[labels[j]] -= w;
                TensorPrimitives.Add(bias, row, bias);
            }
        }
    }

    /// <summary>One group a float64 worker computed for another: its gradient and bias sums, loss and weight.</summary>
    private sealed class StolenGroup64(int length)
    {
        public readonly NativeBuffer<double> Sums = new(length);
        public double Loss, Weight;

        /// <summary>Empties the slot.</summary>
        public void Begin()
        {
            (Loss, Weight) = (0, 0);
            Sums.Span.Clear();
        }
    }
}

/// <summary>Register-tiled float64 loops over a widened block (rows of stride S, a multiple of 16, zero-padded).</summary>
internal static class Float64Kernels
{
    /// <summary>dst[0..D) = src[0..D) in float64: one tight loop per row (a Vector&lt;T&gt; span loop cost as much as the scores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Widen(float* src, double* dst, int D)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k + 16 <= D; k += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(src + k));
                Vector512.Store(lo, dst + k);
                Vector512.Store(hi, dst + k + 8);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; k + 8 <= D; k += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(src + k));
                Vector256.Store(lo, dst + k);
                Vector256.Store(hi, dst + k + 4);
            }
        for (; k < D; k++) dst[k] = src[k];
    }

    /// <summary>
    /// Whether q + (b − q·divisor)·(1/divisor), q = b·(1/divisor), in float32 with fused multiply-adds, equals the
    /// correctly rounded (float)b / divisor for every byte b: then <see cref="WidenLevels"/> needs no division (a
    /// vdivps costs as much as the rest of the row's widening). Checked exhaustively: 256 values.
    /// </summary>
    public static bool ReciprocalIsExact(float divisor)
    {
        if (!(divisor > 0)) return false;
        float inv = 1f / divisor;
        for (int b = 0; b < 256; b++)
        {
            float q = b * inv;
            float q2 = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(-q, divisor, b), inv, q);
            if (BitConverter.SingleToInt32Bits(q2) != BitConverter.SingleToInt32Bits(b / divisor)) return false;
        }
        return true;
    }

    /// <summary>
    /// dst[0..D) = the float32 levels of bytes src[0..D) in float64: (float)b / divisor, correctly rounded, when divisor
    /// &gt; 0 (through the reciprocal when <paramref name="reciprocal"/>, see <see cref="ReciprocalIsExact"/>), else
    /// (float)b · scale: exactly what <see cref="ByteMatrix.Levels"/> holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void WidenLevels(byte* src, double* dst, int D, float divisor, float scale, bool reciprocal)
    {
        int k = 0;
        if (Avx512F.IsSupported)
        {
            var vd = Vector512.Create(divisor);
            var vs = Vector512.Create(scale);
            var vi = Vector512.Create(1f / divisor);
            for (; k + 16 <= D; k += 16)
            {
                var f = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(src + k)));
                if (divisor > 0 && reciprocal)
                {
                    var q = f * vi;
                    f = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(-q, vd, f), vi, q);
                }
                else f = divisor > 0 ? f / vd : f * vs;
                var (lo, hi) = Vector512.Widen(f);
                Vector512.Store(lo, dst + k);
                Vector512.Store(hi, dst + k + 8);
            }
        }
        for (; k < D; k++) dst[k] = divisor > 0 ? (float)src[k] / divisor : (float)src[k] * scale;
    }

    /// <summary>scores (n × C) = x (n × S) · wᵀ (w: C × S) + b; two rows by four classes per tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(ReadOnlySpan<double> x, int n, int S, ReadOnlySpan<double> w, double[] b, int C, double[] scores, bool lastDerived = false)
    {
        int r = 0;
        bool wide = Vector512.IsHardwareAccelerated;
        if (wide)
            for (; r + 4 <= n; r += 4)
            {
                int c = 0;
                for (; c + 5 <= C; c += 5)
                {
                    // The last class's row of w is zero where it is derived (see CpuSoftmaxLoss.LastClassDerived): its
                    // scores are its bias alone, without the multiply-adds.
                    if (lastDerived && c + 5 == C) ScoreTile4x5<Avx512Kernels.LastDerived>(x, r, S, w, c, b, C, scores);
                    else ScoreTile4x5<Avx512Kernels.LastComputed>(x, r, S, w, c, b, C, scores);
                }
                for (; c + 2 <= C; c += 2) { Tile2x2Wide(x, r, S, w, c, b, C, scores); Tile2x2Wide(x, r + 2, S, w, c, b, C, scores); }
                DotScores(x, r, r + 4, S, w, c, b, C, scores);
            }
        for (; r + 2 <= n; r += 2)
        {
            int c = 0;
            // Every tile sums each (row, class) over k in the same order: the bits do not depend on the tile shape.
            if (wide) for (; c + 2 <= C; c += 2) Tile2x2Wide(x, r, S, w, c, b, C, scores);
            else for (; c + 4 <= C; c += 4) Tile2x4(x, r, S, w, c, b, C, scores);
            DotScores(x, r, r + 2, S, w, c, b, C, scores);
        }
        DotScores(x, r, n, S, w, 0, b, C, scores);
    }

    /// <summary>scores[i, c] = b[c] + x_i · w_c for rows [r0, r1) and classes [c0, C): what the tiles leave over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotScores(ReadOnlySpan<double> x, int r0, int r1, int S, ReadOnlySpan<double> w, int c0, double[] b, int C, double[] scores)
    {
        for (int i = r0; i < r1; i++)
            for (int c = c0; c < C; c++) scores[i * C + c] = b[c] + Dot(x.Slice(i * S, S), w.Slice(c * S, S));
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => TensorPrimitives.Dot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile2x4(ReadOnlySpan<double> x, int r, int S, ReadOnlySpan<double> w, int c, double[] b, int C, double[] scores)
    {
        int V = Vector<double>.Count;
        var x0 = x.Slice(r * S, S);
        var x1 = x.Slice((r + 1) * S, S);
        var w0 = w.Slice(c * S, S);
        var w1 = w.Slice((c + 1) * S, S);
        var w2 = w.Slice((c + 2) * S, S);
        var w3 = w.Slice((c + 3) * S, S);
        Vector<double> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector<double> a10 = default, a11 = default, a12 = default, a13 = default;
        for (int k = 0; k < S; k += V)
        {
            var u = new Vector<double>(x0[k..]);
            var v = new Vector<double>(x1[k..]);
            var q0 = new Vector<double>(w0[k..]);
            var q1 = new Vector<double>(w1[k..]);
            var q2 = new Vector<double>(w2[k..]);
            var q3 = new Vector<double>(w3[k..]);
            a00 = Vector.FusedMultiplyAdd(u, q0, a00); a01 = Vector.FusedMultiplyAdd(u, q1, a01);
            a02 = Vector.FusedMultiplyAdd(u, q2, a02); a03 = Vector.FusedMultiplyAdd(u, q3, a03);
            a10 = Vector.FusedMultiplyAdd(v, q0, a10); a11 = Vector.FusedMultiplyAdd(v, q1, a11);
            a12 = Vector.FusedMultiplyAdd(v, q2, a12); a13 = Vector.FusedMultiplyAdd(v, q3, a13);
        }
        int o0 = r * C + c, o1 = (r + 1) * C + c;
        scores[o0] = b[c] + Vector.Sum(a00); scores[o0 + 1] = b[c + 1] + Vector.Sum(a01);
        scores[o0 + 2] = b[c + 2] + Vector.Sum(a02); scores[o0 + 3] = b[c + 3] + Vector.Sum(a03);
        scores[o1] = b[c] + Vector.Sum(a10); scores[o1 + 1] = b[c + 1] + Vector.Sum(a11);
        scores[o1 + 2] = b[c + 2] + Vector.Sum(a12); scores[o1 + 3] = b[c + 3] + Vector.Sum(a13);
    }

    /// <summary>g (C × S) += Eᵀ x, E = e (n × C); four classes by two vectors of features per tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<double> x, int n, int S, double[] e, int C, Span<double> g, bool lastDerived = false)
    {
        if (lastDerived && !(Vector512.IsHardwareAccelerated && C == Avx512Kernels.PanelClasses))
            throw new ArgumentException("Only the ten-class 512-bit tile leaves the last class out.", nameof(lastDerived));
        int V = Vector<double>.Count, c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Strip by strip of 16 features, every class group: the block's strip is read from L2 once and then from L1.
            int wide = C / 2 * 2;
            for (int k = 0; k < S; k += 16)
            {
                int cw = 0;
                for (; cw + 10 <= wide; cw += 10)
                {
                    if (lastDerived) Tile10x2Wide<Avx512Kernels.LastDerived>(x, n, S, e, C, cw, k, g);
                    else Tile10x2Wide<Avx512Kernels.LastComputed>(x, n, S, e, C, cw, k, g);
                }
                for (; cw < wide; cw += 2) Tile2x2Wide(x, n, S, e, C, cw, k, g);
            }
            c = wide;
        }
        for (; c + 4 <= C; c += 4)
            for (int k = 0; k < S; k += 2 * V) Tile4x2(x, n, S, e, C, c, k, g);
        for (; c < C; c++)
        {
            var gc = g.Slice(c * S, S);
            for (int r = 0; r < n; r++) TensorPrimitives.MultiplyAdd(x.Slice(r * S, S), e[r * C + c], gc, gc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2(ReadOnlySpan<double> x, int n, int S, double[] e, int C, int c, int k, Span<double> g)
    {
        int V = Vector<double>.Count;
        Vector<double> a0 = default, b0 = default, a1 = default, b1 = default;
        Vector<double> a2 = default, b2 = default, a3 = default, b3 = default;
        for (int r = 0; r < n; r++)
        {
            var row = x.Slice(r * S + k, 2 * V);
            var u = new Vector<double>(row);
            var v = new Vector<double>(row[V..]);
            int o = r * C + c;
            var e0 = new Vector<double>(e[o]);
            var e1 = new Vector<double>(e[o + 1]);
            var e2 = new Vector<double>(e[o + 2]);
            var e3 = new Vector<double>(e[o + 3]);
            a0 = Vector.FusedMultiplyAdd(e0, u, a0); b0 = Vector.FusedMultiplyAdd(e0, v, b0);
            a1 = Vector.FusedMultiplyAdd(e1, u, a1); b1 = Vector.FusedMultiplyAdd(e1, v, b1);
            a2 = Vector.FusedMultiplyAdd(e2, u, a2); b2 = Vector.FusedMultiplyAdd(e2, v, b2);
            a3 = Vector.FusedMultiplyAdd(e3, u, a3); b3 = Vector.FusedMultiplyAdd(e3, v, b3);
        }
        Add(g, c * S + k, a0, b0);
        Add(g, (c + 1) * S + k, a1, b1);
        Add(g, (c + 2) * S + k, a2, b2);
        Add(g, (c + 3) * S + k, a3, b3);
    }

    /// <summary>
    /// The backward tile with 512-bit vectors, where the hardware has them (Vector&lt;T&gt; stays 256-bit there): ten
    /// classes by two vectors of features, 12 loads per 20 FMAs; the classes past the last ten go in pairs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile10x2Wide<TL>(ReadOnlySpan<double> x, int n, int S, double[] e, int C, int c, int k, Span<double> g)
        where TL : struct, Avx512Kernels.ILastClass
    {
        fixed (double* xp = x, ep = e, gp = g)
        {
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
            Vector512<double> a5 = default, a6 = default, a7 = default, a8 = default, a9 = default;
            Vector512<double> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default;
            Vector512<double> b5 = default, b6 = default, b7 = default, b8 = default, b9 = default;
            double* er = ep + c, xr = xp + k;
            for (int r = 0; r < n; r++, er += C, xr += S)
            {
                var u = Vector512.Load(xr);
                var v = Vector512.Load(xr + 8);
                var q = Vector512.Create(er[0]); a0 = Vector512.FusedMultiplyAdd(q, u, a0); b0 = Vector512.FusedMultiplyAdd(q, v, b0);
                q = Vector512.Create(er[1]); a1 = Vector512.FusedMultiplyAdd(q, u, a1); b1 = Vector512.FusedMultiplyAdd(q, v, b1);
                q = Vector512.Create(er[2]); a2 = Vector512.FusedMultiplyAdd(q, u, a2); b2 = Vector512.FusedMultiplyAdd(q, v, b2);
                q = Vector512.Create(er[3]); a3 = Vector512.FusedMultiplyAdd(q, u, a3); b3 = Vector512.FusedMultiplyAdd(q, v, b3);
                q = Vector512.Create(er[4]); a4 = Vector512.FusedMultiplyAdd(q, u, a4); b4 = Vector512.FusedMultiplyAdd(q, v, b4);
                q = Vector512.Create(er[5]); a5 = Vector512.FusedMultiplyAdd(q, u, a5); b5 = Vector512.FusedMultiplyAdd(q, v, b5);
                q = Vector512.Create(er[6]); a6 = Vector512.FusedMultiplyAdd(q, u, a6); b6 = Vector512.FusedMultiplyAdd(q, v, b6);
                q = Vector512.Create(er[7]); a7 = Vector512.FusedMultiplyAdd(q, u, a7); b7 = Vector512.FusedMultiplyAdd(q, v, b7);
                q = Vector512.Create(er[8]); a8 = Vector512.FusedMultiplyAdd(q, u, a8); b8 = Vector512.FusedMultiplyAdd(q, v, b8);
                if (!TL.Computed) continue;
                q = Vector512.Create(er[9]); a9 = Vector512.FusedMultiplyAdd(q, u, a9); b9 = Vector512.FusedMultiplyAdd(q, v, b9);
            }
            double* g0 = gp + c * S + k;
            AddPair(g0, a0, b0); AddPair(g0 + S, a1, b1); AddPair(g0 + 2 * S, a2, b2); AddPair(g0 + 3 * S, a3, b3);
            AddPair(g0 + 4 * S, a4, b4); AddPair(g0 + 5 * S, a5, b5); AddPair(g0 + 6 * S, a6, b6); AddPair(g0 + 7 * S, a7, b7);
            AddPair(g0 + 8 * S, a8, b8);
            if (TL.Computed) AddPair(g0 + 9 * S, a9, b9);
        }
    }

    /// <summary>g[0..16) += (lo, hi).</summary>
    private static unsafe void AddPair(double* g, Vector512<double> lo, Vector512<double> hi)
    {
        (Vector512.Load(g) + lo).Store(g);
        (Vector512.Load(g + 8) + hi).Store(g + 8);
    }

    /// <summary>Four rows by five classes: 9 loads per 20 FMAs (C = 10 is two tiles; the 2×4 tile needs 6 per 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScoreTile4x5<TL>(ReadOnlySpan<double> x, int r, int S, ReadOnlySpan<double> w, int c, double[] b, int C, double[] scores)
        where TL : struct, Avx512Kernels.ILastClass
    {
        fixed (double* xp = x, wp = w)
        {
            double* x0 = xp + r * S, x1 = x0 + S, x2 = x1 + S, x3 = x2 + S;
            double* w0 = wp + c * S, w1 = w0 + S, w2 = w1 + S, w3 = w2 + S, w4 = w3 + S;
            Vector512<double> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
            Vector512<double> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
            Vector512<double> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
            Vector512<double> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
            for (int k = 0; k < S; k += 8)
            {
                var u0 = Vector512.Load(x0 + k);
                var u1 = Vector512.Load(x1 + k);
                var u2 = Vector512.Load(x2 + k);
                var u3 = Vector512.Load(x3 + k);
                var q = Vector512.Load(w0 + k);
                a00 = Vector512.FusedMultiplyAdd(u0, q, a00); a10 = Vector512.FusedMultiplyAdd(u1, q, a10);
                a20 = Vector512.FusedMultiplyAdd(u2, q, a20); a30 = Vector512.FusedMultiplyAdd(u3, q, a30);
                q = Vector512.Load(w1 + k);
                a01 = Vector512.FusedMultiplyAdd(u0, q, a01); a11 = Vector512.FusedMultiplyAdd(u1, q, a11);
                a21 = Vector512.FusedMultiplyAdd(u2, q, a21); a31 = Vector512.FusedMultiplyAdd(u3, q, a31);
                q = Vector512.Load(w2 + k);
                a02 = Vector512.FusedMultiplyAdd(u0, q, a02); a12 = Vector512.FusedMultiplyAdd(u1, q, a12);
                a22 = Vector512.FusedMultiplyAdd(u2, q, a22); a32 = Vector512.FusedMultiplyAdd(u3, q, a32);
                q = Vector512.Load(w3 + k);
                a03 = Vector512.FusedMultiplyAdd(u0, q, a03); a13 = Vector512.FusedMultiplyAdd(u1, q, a13);
                a23 = Vector512.FusedMultiplyAdd(u2, q, a23); a33 = Vector512.FusedMultiplyAdd(u3, q, a33);
                if (!TL.Computed) continue;
                q = Vector512.Load(w4 + k);
                a04 = Vector512.FusedMultiplyAdd(u0, q, a04); a14 = Vector512.FusedMultiplyAdd(u1, q, a14);
                a24 = Vector512.FusedMultiplyAdd(u2, q, a24); a34 = Vector512.FusedMultiplyAdd(u3, q, a34);
            }
            Store5(scores, r * C + c, b, c, a00, a01, a02, a03, a04);
            Store5(scores, (r + 1) * C + c, b, c, a10, a11, a12, a13, a14);
            Store5(scores, (r + 2) * C + c, b, c, a20, a21, a22, a23, a24);
            Store5(scores, (r + 3) * C + c, b, c, a30, a31, a32, a33, a34);
        }
    }

    /// <summary>scores[o + j] = b[c + j] + Σ lanes of a_j for five classes.</summary>
    private static void Store5(double[] scores, int o, double[] b, int c, Vector512<double> a0, Vector512<double> a1,
        Vector512<double> a2, Vector512<double> a3, Vector512<double> a4)
    {
        scores[o] = b[c] + Vector512.Sum(a0);
        scores[o + 1] = b[c + 1] + Vector512.Sum(a1);
        scores[o + 2] = b[c + 2] + Vector512.Sum(a2);
        scores[o + 3] = b[c + 3] + Vector512.Sum(a3);
        scores[o + 4] = b[c + 4] + Vector512.Sum(a4);
    }

    // The remainder of C mod 5 in pairs: the same tiles two classes wide.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile2x2Wide(ReadOnlySpan<double> x, int r, int S, ReadOnlySpan<double> w, int c, double[] b, int C, double[] scores)
    {
        fixed (double* xp = x, wp = w)
        {
            double* x0 = xp + r * S, x1 = x0 + S, w0 = wp + c * S, w1 = w0 + S;
            Vector512<double> a00 = default, a01 = default, a10 = default, a11 = default;
            for (int k = 0; k < S; k += 8)
            {
                var u = Vector512.Load(x0 + k);
                var v = Vector512.Load(x1 + k);
                var q0 = Vector512.Load(w0 + k);
                var q1 = Vector512.Load(w1 + k);
                a00 = Vector512.FusedMultiplyAdd(u, q0, a00); a01 = Vector512.FusedMultiplyAdd(u, q1, a01);
                a10 = Vector512.FusedMultiplyAdd(v, q0, a10); a11 = Vector512.FusedMultiplyAdd(v, q1, a11);
            }
            int o0 = r * C + c, o1 = (r + 1) * C + c;
            scores[o0] = b[c] + Vector512.Sum(a00); scores[o0 + 1] = b[c + 1] + Vector512.Sum(a01);
            scores[o1] = b[c] + Vector512.Sum(a10); scores[o1 + 1] = b[c + 1] + Vector512.Sum(a11);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile2x2Wide(ReadOnlySpan<double> x, int n, int S, double[] e, int C, int c, int k, Span<double> g)
    {
        fixed (double* xp = x, gp = g)
        {
            Vector512<double> a0 = default, b0 = default, a1 = default, b1 = default;
            for (int r = 0; r < n; r++)
            {
                var u = Vector512.Load(xp + r * S + k);
                var v = Vector512.Load(xp + r * S + k + 8);
                int o = r * C + c;
                var e0 = Vector512.Create(e[o]);
                var e1 = Vector512.Create(e[o + 1]);
                a0 = Vector512.FusedMultiplyAdd(e0, u, a0); b0 = Vector512.FusedMultiplyAdd(e0, v, b0);
                a1 = Vector512.FusedMultiplyAdd(e1, u, a1); b1 = Vector512.FusedMultiplyAdd(e1, v, b1);
            }
            double* g0 = gp + c * S + k;
            AddPair(g0, a0, b0);
            AddPair(g0 + S, a1, b1);
        }
    }

    private static void Add(Span<double> g, int at, Vector<double> lo, Vector<double> hi)
    {
        int V = Vector<double>.Count;
        var span = g.Slice(at, 2 * V);
        (new Vector<double>(span) + lo).CopyTo(span);
        (new Vector<double>(span[V..]) + hi).CopyTo(span[V..]);
    }
}

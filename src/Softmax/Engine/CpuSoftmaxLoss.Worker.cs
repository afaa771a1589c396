using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Softmax.Data;

namespace Softmax.Engine;

public sealed unsafe partial class CpuSoftmaxLoss
{
    /// <summary>One thread's buffers and its share of an evaluation.</summary>
    private sealed class Worker : IShareOwner
    {
        // Rows the forward pass prefetches ahead of the row pair it computes: 2–4 were ~2 % faster than 8 (alternating
        // passes, 2026-12-02), fewer slower again.
        private const int RowsAhead = 4;
        private readonly CpuSoftmaxLoss _e;
        private readonly PinnedBuffer<float> _x;       // (BlockRows × S): converted rows
        private readonly PinnedBuffer<nint> _rows;     // (BlockRows + RowsAhead): pointer to each row of the block, then the rows to prefetch
        private readonly PinnedBuffer<nint> _src;      // (BlockRows + RowsAhead): the same for raw uint8 rows
        // Scores, then probabilities, then E = s·(P − Y), class-major: C columns of ColumnStride floats, so the softmax
        // runs sixteen rows per vector.
        private readonly PinnedBuffer<float> _scores;
        private readonly PinnedBuffer<float> _max, _sums, _logs, _rowWeight;
        private readonly float[] _shiftedTrue, _scratch;
        private readonly PinnedBuffer<int> _labels;    // (ColumnStride): the block's labels; lanes past n are stale
        // (C × S) + C, or (D × C) + C for CSR. 64-byte aligned: the stage is widened into it a whole vector at a time,
        // and as a plain double[] it sat 8–40 bytes off a cache line by chance, which made that worker's passes 10–25 %
        // slower (CIFAR-10 shape and Fashion-MNIST, 2 threads, 2026-12-02).
        private readonly PinnedBuffer<double> _grad;
        private readonly PinnedBuffer<float> _rowScores; // (BlockRows × 10 + 10): ten-class scores row-major, before ClassMajor
        private readonly PinnedBuffer<float> _stage;   // (C × S) when the engine stages block gradients (dense, AVX-512)
        // Where the block being computed adds its float32 gradient and its bias gradient: this worker's _stage and
        // _grad, or the slot of a group taken from another worker.
        private float* _stageTarget;
        private double* _biasTarget;

        // This worker's share of the rows, in groups of GroupRows (one float32 stage each).
        private readonly WorkShare _share;
        WorkShare IShareOwner.Share => _share;
        private double _loss, _weight;                 // this share's loss and weight so far, in row order
        private readonly StolenGroup[] _slots;         // groups this worker computed for others in this evaluation
        private int _slotsUsed;

        public Worker(CpuSoftmaxLoss engine)
        {
            _e = engine;
            int R = engine.BlockRows, C = engine.Classes;
            // Rows are converted into _x unless the kernels read them where they are: dense float32 rows, and uint8 rows
            // that the ten-class AVX-512 tiles convert as they read them (480 KiB a worker on the CIFAR-10 shape).
            var features = engine._data.Features;
            bool inPlace = features is DenseMatrix
                || (features is ByteMatrix && engine._useAvx512 && Avx512Kernels.ConvertsBytesWithoutCopy(C, engine.Features, engine.Stride));
            _x = new PinnedBuffer<float>(engine.IsSparse || inPlace ? 16 : R * engine.Stride);
            int Rp = engine.ColumnStride;
            _scores = new PinnedBuffer<float>(Rp * C);
            _rows = new PinnedBuffer<nint>(R + RowsAhead);
            _src = new PinnedBuffer<nint>(engine._data.Features is ByteMatrix ? R + RowsAhead : 0);
            _shiftedTrue = new float[R];
            _max = new PinnedBuffer<float>(Rp);
            _sums = new PinnedBuffer<float>(Rp);
            _logs = new PinnedBuffer<float>(Rp);
            _rowWeight = new PinnedBuffer<float>(Rp);
            _labels = new PinnedBuffer<int>(Rp);
            _scratch = new float[Math.Max(engine.Stride, C)];
            _grad = new PinnedBuffer<double>(engine.WeightLength + C);
            _rowScores = new PinnedBuffer<float>(engine._useAvx512 && !engine.IsSparse && C == Avx512Kernels.PanelClasses ? (R + 1) * C : 0);
            _stage = new PinnedBuffer<float>(engine.StagedBlocks > 0 ? C * engine.Stride : 0);
            _slots = new StolenGroup[engine.StealSlots];
            _share = new WorkShare(engine.StealSlots * (engine.Threads - 1));
            for (int i = 0; i < _slots.Length; i++) _slots[i] = new StolenGroup(_stage.Length, engine.StagedBlocks, C);
        }

        public LossSums Sums { get; private set; }

        public Span<double> Gradient => _grad.Span;

        /// <summary>Makes <paramref name="rows"/> this worker's share, all of its groups still to take. Called before any worker runs.</summary>
        public void Assign(RowSet rows)
        {
            _share.Assign(rows, _e.GroupRows);
            _slotsUsed = 0;
        }

        /// <summary>
        /// Computes this worker's share group by group, then, while it has free slots, groups from the back of the others'
        /// shares (<paramref name="team"/>, this worker at <paramref name="self"/>); <see cref="Absorb"/> adds those in.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(ReadOnlySpan<Worker> team, int self, bool withGradient)
        {
            if (withGradient)
            {
                _grad.Span.Clear();
                _stage.Span.Clear();
            }
            _loss = _weight = 0;
            _stageTarget = _stage.Pointer;
            _biasTarget = _grad.Pointer + (_grad.Length - _e.Classes);
            while (_share.TakeFront(out int group))
            {
                _e.BeforeOwnGroup?.Invoke(self);
                RunGroup(_share.Group(group), withGradient, ref _loss, ref _weight, blockBias: 0);
                if (withGradient && _stage.Length > 0) WidenStage();
            }
            while (_slotsUsed < _slots.Length && WorkShare.TakeFromOthers(team, self, out var share, out int group))
            {
                var slot = _slots[_slotsUsed++];
                slot.Begin();
                share.Hand(group, slot);
                _stageTarget = slot.Stage.Pointer;
                _biasTarget = slot.Bias.Pointer;
                slot.Blocks = RunGroup(share.Group(group), withGradient, ref slot.Loss[0], ref slot.Weight[0], blockBias: _e.Classes);
            }
            Sums = new LossSums(_loss, _weight);
            // The kernels used raw pointers into this worker's and the engine's pinned buffers.
            GC.KeepAlive(this);
            GC.KeepAlive(_e);
        }

        /// <summary>
        /// The rows of a group, block by block; returns its block count. With blockBias 0 every block adds
        /// into loss, weight and _biasTarget; with blockBias C, block i adds into the i-th entry after loss and weight
        /// (their slot arrays) and to _biasTarget + i·C, so that <see cref="Absorb"/> can replay the blocks' sums in order.
        /// </summary>
        private int RunGroup(RowSet rows, bool withGradient, ref double loss, ref double weight, int blockBias)
        {
            int R = _e.BlockRows;
            int* labels = _labels.Pointer;
            double* bias = _biasTarget;
            int blocks = 0;
            for (int start = 0; start < rows.Count; start += R, blocks++)
            {
                int n = Math.Min(R, rows.Count - start);
                var block = rows.Sub(start, n);
                for (int r = 0; r < n; r++)
                {
                    int j = block[r];
                    labels[r] = _e._data.Labels[j];
                    _rowWeight.Span[r] = _e._rowWeights?[j] ?? 1f;
                }
                _biasTarget = bias + (long)blocks * blockBias;
                ref double blockLoss = ref Unsafe.Add(ref loss, blockBias == 0 ? 0 : blocks);
                ref double blockWeight = ref Unsafe.Add(ref weight, blockBias == 0 ? 0 : blocks);
                if (_e.IsSparse) SparseBlock(block, n, withGradient, ref blockLoss, ref blockWeight);
                else DenseBlock(block, n, withGradient, ref blockLoss, ref blockWeight);
            }
            _biasTarget = bias;
            return blocks;
        }

        /// <summary>
        /// Adds the groups other workers took from the back of this share (held in their slots) in group order, block by
        /// block, exactly as this worker would have added them itself: the sums are the same bits whoever computed what.
        /// </summary>
        /// <returns>The number of groups others took.</returns>
        public int Absorb(bool withGradient)
        {
            int back = _share.FirstTaken, C = _e.Classes;
            double* bias = _grad.Pointer + (_grad.Length - C);
            for (int g = back; g < _share.Groups; g++)
            {
                var slot = _share.Taken<StolenGroup>(g);
                for (int i = 0; i < slot.Blocks; i++)
                {
                    _loss += slot.Loss[i];
                    _weight += slot.Weight[i];
                    if (!withGradient) continue;
                    for (int c = 0; c < C; c++) bias[c] += slot.Bias.Pointer[i * C + c];
                }
                if (withGradient) Avx512Kernels.AddTo(slot.Stage.Pointer, _grad.Pointer, slot.Stage.Length);
            }
            Sums = new LossSums(_loss, _weight);
            GC.KeepAlive(this);
            return _share.Groups - back;
        }

        private void DenseBlock(RowSet block, int n, bool withGradient, ref double loss, ref double weight)
        {
            // Raw uint8 rows stay pinned from the forward pass through the backward pass, which reads them again.
            var bytes = _e._useAvx512 ? _e._data.Features as ByteMatrix : null;
            fixed (byte* data = bytes is null ? default : bytes.Bytes)
                DenseBlock(block, n, withGradient, ref loss, ref weight, data);
        }

        /// <summary>One block of dense rows; <paramref name="data"/> is the raw uint8 rows, pinned (null for float rows or without AVX-512).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void DenseBlock(RowSet block, int n, bool withGradient, ref double loss, ref double weight, byte* data)
        {
            int C = _e.Classes, S = _e.Stride, D = _e.Features, Rp = _e.ColumnStride;
            float* scores = _scores.Pointer, w = _e._w.Pointer, b = _e._b.Pointer;
            // Ten classes: the forward tiles write row-major scores with two vector stores per row pair, then one pass
            // turns them class-major for the softmax (cheaper than twenty scattered scalar stores per tile).
            bool rowMajor = _e._useAvx512 && C == Avx512Kernels.PanelClasses;
            float* forward = rowMajor ? _rowScores.Pointer : scores;
            int frs = rowMajor ? C : 1, fcs = rowMajor ? 1 : Rp;
            float** x;
            byte** src = null; // raw uint8 rows the backward pass reads again, where the forward pass converted them itself
            if (data != null)
            {
                // The forward pass converts the raw bytes as it reads them (the scale is in W): the block's bytes are
                // read from memory once, and from L2 again by the backward pass.
                x = (float**)_rows.Pointer;
                src = (byte**)_src.Pointer;
                for (int r = 0; r < n + RowsAhead; r++) src[r] = data + RowAhead(block, n, r) * D;
                // Where the first panel converts without a copy (ten classes) x is not used, and _x is not allocated.
                bool uncopied = Avx512Kernels.ConvertsBytesWithoutCopy(C, D, S);
                for (int r = 0; r < n; r++) x[r] = uncopied ? null : _x.Pointer + r * S;
                Avx512Kernels.ForwardBytes(src, x, n, RowsAhead, S, D, w, _e._panels.Pointer, b, C, forward, frs, fcs, _e.LastClassDerived);
                if (!Avx512Kernels.CanFuseBytes(C, D, S)) src = null;
            }
            else
            {
                x = BlockRows(block, n);
                if (_e._useAvx512) Avx512Kernels.Forward(x, n, RowsAhead, S, w, _e._panels.Pointer, b, C, forward, frs, fcs, lastDerived: _e.LastClassDerived);
                else PortableKernels.Forward(x, n, S, w, b, C, scores, 1, Rp);
            }
            if (rowMajor) ClassMajor(n);
            SoftmaxColumns(n, withGradient, ref loss, ref weight);
            if (!withGradient) return;
            if (_e._useAvx512)
            {
                var (next, nextBytes) = NextBlock(block, n);
                if (src != null) Avx512Kernels.BackwardBytes(src, n, S, scores, 1, Rp, C, _stageTarget, (byte*)next, nextBytes, _e.LastClassDerived);
                else Avx512Kernels.Backward(x, n, S, scores, 1, Rp, C, _stageTarget, (byte*)next, nextBytes, _e.LastClassDerived);
            }
            else PortableKernels.Backward(x, n, S, scores, 1, Rp, C, _grad.Pointer, _scratch);
        }

        /// <summary>The block's ten-class row-major scores, class-major into <see cref="_scores"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ClassMajor(int n)
        {
            float* src = _rowScores.Pointer, dst = _scores.Pointer;
            const int Rp = Avx512Kernels.ColumnStride;
            for (int r = 0; r < n; r++, src += Avx512Kernels.PanelClasses)
            {
                dst[r] = src[0]; dst[Rp + r] = src[1]; dst[2 * Rp + r] = src[2]; dst[3 * Rp + r] = src[3]; dst[4 * Rp + r] = src[4];
                dst[5 * Rp + r] = src[5]; dst[6 * Rp + r] = src[6]; dst[7 * Rp + r] = src[7]; dst[8 * Rp + r] = src[8]; dst[9 * Rp + r] = src[9];
            }
        }

        /// <summary>Adds the staged block gradients into the float64 gradient and empties the stage.</summary>
        private void WidenStage() => Avx512Kernels.AddTo(_stage.Pointer, _grad.Pointer, _stage.Length);

        /// <summary>
        /// The memory of the rows after a range block (up to one block), for the backward pass to prefetch. Only a hint:
        /// a prefetch never faults, so an unpinned array's address is good enough.
        /// </summary>
        private (nint, long) NextBlock(RowSet block, int n)
        {
            if (!block.IsRange) return (0, 0);
            long first = (long)block[n - 1] + 1, count = Math.Min(_e.BlockRows, _e.Rows - first);
            if (count <= 0) return (0, 0);
            return _e._data.Features switch
            {
                DenseMatrix dense => ((nint)(dense.Pointer + first * _e.Stride), count * _e.Stride * sizeof(float)),
                ByteMatrix bytes => ((nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes.Bytes[(int)(first * _e.Features)..])), count * _e.Features),
                _ => (0, 0),
            };
        }

        /// <summary>
        /// The data row behind place r of the block, where places n … n + RowsAhead − 1 name the rows to prefetch: the
        /// rows after a range, else the block's last row again.
        /// </summary>
        private long RowAhead(RowSet block, int n, int r)
        {
            if (r < n) return block[r];
            long next = block[n - 1] + (r - n + 1);
            return block.IsRange && next < _e.Rows ? next : block[n - 1];
        }

        /// <summary>
        /// Turns the block's class-major scores into E = s_j (p − e_y) in place, adding the loss, the weight and the bias
        /// gradient (−log p_y = log Σ exp(o − m) − (o_y − m)): column c holds the block's scores of class c, and each
        /// step works on sixteen rows at once, all classes of those rows in one go while they are in L1. Lanes past n
        /// are zeroed first (scores and row weights): their labels are stale, but with weight 0 they add nothing to the
        /// loss, the weight, E or the bias gradient.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SoftmaxColumns(int n, bool withGradient, ref double loss, ref double weight)
        {
            if (!_e._useAvx512)
            {
                SoftmaxColumnsPortable(n, withGradient, ref loss, ref weight);
                return;
            }
            int C = _e.Classes, Rp = _e.ColumnStride, width = (n + 15) & ~15;
            float* s = _scores.Pointer, rw = _rowWeight.Pointer;
            int* labels = _labels.Pointer;
            if (width != n)
            {
                for (int c = 0; c < C; c++) new Span<float>(s + (long)c * Rp + n, width - n).Clear();
                new Span<float>(rw + n, width - n).Clear();
            }
            // Σ w·(log Σ exp(o − m) − (o_y − m)) and Σ w, per lane in float64 (the lanes past n have w = 0).
            Vector512<double> lossLo = default, lossHi = default, weightLo = default, weightHi = default;
            for (int r = 0; r < width; r += 16)
            {
                var m = Vector512.Load(s + r);
                for (int c = 1; c < C; c++) m = Vector512.Max(m, Vector512.Load(s + (long)c * Rp + r));
                var y = Vector512.Load(labels + r);
                // o_y − m, picked lane by lane as the classes go by; Σ_c exp in float64 (a float32 running sum over a
                // thousand classes drifts by ~1e-6 relative).
                Vector512<float> shiftedTrue = default;
                Vector512<double> lo = default, hi = default;
                for (int c = 0; c < C; c++)
                {
                    var v = Vector512.Load(s + (long)c * Rp + r) - m;
                    shiftedTrue = Vector512.ConditionalSelect(Vector512.Equals(y, Vector512.Create(c)).AsSingle(), v, shiftedTrue);
                    var e = Avx512Kernels.Exp(v);
                    Vector512.Store(e, s + (long)c * Rp + r);
                    var (a, b) = Vector512.Widen(e);
                    lo += a;
                    hi += b;
                }
                var sum = Vector512.Narrow(lo, hi);
                var w = Vector512.Load(rw + r);
                var (log0, log1) = Vector512.Widen(Vector512.Log(sum));
                var (true0, true1) = Vector512.Widen(shiftedTrue);
                var (w0, w1) = Vector512.Widen(w);
                lossLo += w0 * (log0 - true0);
                lossHi += w1 * (log1 - true1);
                weightLo += w0;
                weightHi += w1;
                if (!withGradient) continue;
                // E = w·p − w·e_y.
                var k = w / sum;
                for (int c = 0; c < C; c++)
                {
                    var e = Vector512.Load(s + (long)c * Rp + r) * k;
                    e -= Vector512.ConditionalSelect(Vector512.Equals(y, Vector512.Create(c)).AsSingle(), w, Vector512<float>.Zero);
                    Vector512.Store(e, s + (long)c * Rp + r);
                }
            }
            loss += Vector512.Sum(lossLo + lossHi);
            weight += Vector512.Sum(weightLo + weightHi);
            if (!withGradient) return;
            // The bias gradient is the sum of each column.
            for (int c = 0; c < C; c++)
            {
                Vector512<float> total = default;
                for (int r = 0; r < width; r += 16) total += Vector512.Load(s + (long)c * Rp + r);
                _biasTarget[c] += Vector512.Sum(total);
            }
        }

        /// <summary>The block's loss and weight: Σ w·(log Σ exp(o − m) − (o_y − m)) over its rows.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AddLoss(int n, ref double loss, ref double weight)
        {
            float* logs = _logs.Pointer, rw = _rowWeight.Pointer;
            for (int r = 0; r < n; r++)
            {
                float w = rw[r];
                loss += w * ((double)logs[r] - _shiftedTrue[r]);
                weight += w;
            }
        }

        /// <summary><see cref="SoftmaxColumns"/> without AVX-512: one class column at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SoftmaxColumnsPortable(int n, bool withGradient, ref double loss, ref double weight)
        {
            int C = _e.Classes, Rp = _e.ColumnStride;
            float* s = _scores.Pointer, max = _max.Pointer, sums = _sums.Pointer, logs = _logs.Pointer, rw = _rowWeight.Pointer;
            var rowMax = new Span<float>(max, n);
            new ReadOnlySpan<float>(s, n).CopyTo(rowMax);
            for (int c = 1; c < C; c++) TensorPrimitives.Max(rowMax, new ReadOnlySpan<float>(s + (long)c * Rp, n), rowMax);
            for (int r = 0; r < n; r++) _shiftedTrue[r] = s[(long)_labels.Pointer[r] * Rp + r] - max[r];
            for (int c = 0; c < C; c++)
            {
                var column = new Span<float>(s + (long)c * Rp, n);
                TensorPrimitives.Subtract(column, new ReadOnlySpan<float>(max, n), column);
                TensorPrimitives.Exp(column, column);
            }
            for (int r = 0; r < n; r++)
            {
                double sum = 0;
                for (int c = 0; c < C; c++) sum += s[(long)c * Rp + r];
                sums[r] = (float)sum;
            }
            TensorPrimitives.Log(new ReadOnlySpan<float>(sums, n), new Span<float>(logs, n));
            AddLoss(n, ref loss, ref weight);
            if (!withGradient) return;
            TensorPrimitives.Divide(new ReadOnlySpan<float>(rw, n), new ReadOnlySpan<float>(sums, n), new Span<float>(max, n));
            for (int c = 0; c < C; c++)
            {
                var column = new Span<float>(s + (long)c * Rp, n);
                TensorPrimitives.Multiply(column, new ReadOnlySpan<float>(max, n), column);
            }
            for (int r = 0; r < n; r++) s[(long)_labels.Pointer[r] * Rp + r] -= rw[r];
            for (int c = 0; c < C; c++) _biasTarget[c] += TensorPrimitives.Sum(new ReadOnlySpan<float>(s + (long)c * Rp, n));
        }

        /// <summary>Pointers to the block's rows as padded float32: in place for dense rows, else converted or copied into a scratch block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private float** BlockRows(RowSet block, int n)
        {
            int S = _e.Stride, D = _e.Features;
            float** rows = (float**)_rows.Pointer;
            switch (_e._data.Features)
            {
                case DenseMatrix dense:
                    // The forward kernel prefetches RowsAhead rows ahead; start the first rows here.
                    for (int r = 0; r < n + RowsAhead; r++) rows[r] = dense.Pointer + RowAhead(block, n, r) * S;
                    if (!block.IsRange)
                        for (int r = 0; r < Math.Min(n, RowsAhead); r++) Avx512Kernels.Prefetch(rows[r], D * sizeof(float));
                    break;
                case ByteMatrix bytes:
                    fixed (byte* src = bytes.Bytes)
                        for (int r = 0; r < n; r++)
                        {
                            // Fetch a few rows ahead, across the block's end for a range: the hardware prefetcher alone
                            // leaves the conversion latency-bound (2.4x slower on Fashion-MNIST); mini-batch rows are
                            // scattered anyway.
                            Avx512Kernels.Prefetch(src + RowAhead(block, n, r + RowsAhead) * D, D);
                            rows[r] = _x.Pointer + r * S;
                            // Raw values: the engine keeps the scale in W (see PackParameters).
                            Avx512Kernels.ConvertBytes(src + (long)block[r] * D, D, 1f, rows[r]);
                        }
                    break;
                default:
                    for (int r = 0; r < n; r++)
                    {
                        rows[r] = _x.Pointer + r * S;
                        _e._data.Features.CopyRow(block[r], _x.Span.Slice(r * S, D));
                    }
                    break;
            }
            return rows;
        }

        /// <summary>
        /// CSR rows: each row's scores gathered over its nonzeros, stored class-major like a dense block's (so one
        /// softmax serves both), then ∂/∂W_d += x_jd · E_j for each nonzero.
        /// </summary>
        private void SparseBlock(RowSet block, int n, bool withGradient, ref double loss, ref double weight)
        {
            var csr = (CsrMatrix)_e._data.Features;
            var pointers = csr.RowPointers;
            var columns = csr.ColumnIndices;
            var values = csr.Values;
            int C = _e.Classes, Rp = _e.ColumnStride;
            var wt = _e._w.Span;
            float* s = _scores.Pointer;
            var o = _scratch.AsSpan(0, C);
            for (int r = 0; r < n; r++)
            {
                _e._b.Span.CopyTo(o);
                int j = block[r];
                for (int k = (int)pointers[j], end = (int)pointers[j + 1]; k < end; k++)
                    TensorPrimitives.MultiplyAdd(wt.Slice(columns[k] * C, C), values[k], o, o);
                for (int c = 0; c < C; c++) s[(long)c * Rp + r] = o[c];
            }
            SoftmaxColumns(n, withGradient, ref loss, ref weight);
            if (!withGradient) return;
            double* g0 = _grad.Pointer;
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < C; c++) o[c] = s[(long)c * Rp + r];
                int j = block[r];
                for (int k = (int)pointers[j], end = (int)pointers[j + 1]; k < end; k++)
                {
                    double v = values[k];
                    double* g = g0 + (long)columns[k] * C;
                    for (int c = 0; c < C; c++) g[c] += v * o[c];
                }
            }
        }
    }

    /// <summary>One group of blocks a worker computed for another: its float32 stage and, per block, its loss, weight and bias sums.</summary>
    private sealed class StolenGroup(int stageLength, int blocks, int classes)
    {
        public readonly NativeBuffer<float> Stage = new(stageLength);
        public readonly NativeBuffer<double> Bias = new(blocks * classes);
        public readonly double[] Loss = new double[blocks], Weight = new double[blocks];
        public int Blocks;

        /// <summary>Empties the slot.</summary>
        public void Begin()
        {
            Blocks = 0;
            Stage.Span.Clear();
            Bias.Span.Clear();
            Array.Clear(Loss);
            Array.Clear(Weight);
        }
    }
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Softmax.Data;

namespace Softmax.Engine;

public sealed unsafe partial class CpuSoftmaxLoss
{
    /// <summary>One thread's buffers and its share of an evaluation.</summary>
    private sealed class Worker
    {
        private const int RowsAhead = 8;
        private readonly CpuSoftmaxLoss _e;
        private readonly PinnedBuffer<float> _x;       // (BlockRows × S): converted rows
        private readonly PinnedBuffer<nint> _rows;     // (BlockRows): pointer to each row of the block
        private readonly PinnedBuffer<float> _scores;  // (BlockRows × C): scores, then probabilities, then E = s·(P − Y)
        private readonly float[] _shiftedTrue, _sums, _logs, _rowWeight, _scratch;
        private readonly int[] _labels;
        private readonly double[] _grad;               // (C × S) + C, or (D × C) + C for CSR

        public Worker(CpuSoftmaxLoss engine)
        {
            _e = engine;
            int R = engine.BlockRows, C = engine.Classes;
            _x = new PinnedBuffer<float>(engine.IsSparse ? 16 : R * engine.Stride);
            _scores = new PinnedBuffer<float>(R * C);
            _rows = new PinnedBuffer<nint>(R);
            _shiftedTrue = new float[R];
            _sums = new float[R];
            _logs = new float[R];
            _rowWeight = new float[R];
            _labels = new int[R];
            _scratch = new float[engine.Stride];
            _grad = new double[(engine.IsSparse ? engine.Features * C : C * engine.Stride) + C];
        }

        public LossSums Sums { get; private set; }

        public Span<double> Gradient => _grad;

        public void Run(RowSet rows, bool withGradient)
        {
            if (withGradient) Array.Clear(_grad);
            double loss = 0, weight = 0;
            int R = _e.BlockRows;
            for (int start = 0; start < rows.Count; start += R)
            {
                int n = Math.Min(R, rows.Count - start);
                var block = rows.Sub(start, n);
                for (int r = 0; r < n; r++)
                {
                    int j = block[r];
                    _labels[r] = _e._data.Labels[j];
                    _rowWeight[r] = _e._rowWeights[j];
                }
                if (_e.IsSparse) SparseBlock(block, n, withGradient, ref loss, ref weight);
                else DenseBlock(block, n, withGradient, ref loss, ref weight);
            }
            Sums = new LossSums(loss, weight);
            // The kernels used raw pointers into this worker's and the engine's pinned buffers.
            GC.KeepAlive(this);
            GC.KeepAlive(_e);
        }

        private void DenseBlock(RowSet block, int n, bool withGradient, ref double loss, ref double weight)
        {
            int C = _e.Classes, S = _e.Stride;
            float** x = BlockRows(block, n);
            float* scores = _scores.Pointer;
            if (_e._useAvx512) DenseKernels.Forward(x, n, S, _e._w.Pointer, _e._b.Pointer, C, scores);
            else PortableKernels.Forward(x, n, S, _e._w.Pointer, _e._b.Pointer, C, scores);
            SoftmaxBlock(n, withGradient, ref loss, ref weight);
            if (!withGradient) return;
            fixed (double* g = _grad)
            {
                if (_e._useAvx512) DenseKernels.Backward(x, n, S, scores, C, g);
                else PortableKernels.Backward(x, n, S, scores, C, g, _scratch);
            }
        }

        /// <summary>Pointers to the block's rows as padded float32: in place for dense rows, else converted or copied into a scratch block.</summary>
        private float** BlockRows(RowSet block, int n)
        {
            int S = _e.Stride, D = _e.Features;
            float** rows = (float**)_rows.Pointer;
            switch (_e._data.Features)
            {
                case DenseMatrix dense:
                    for (int r = 0; r < n; r++) rows[r] = dense.Pointer + (long)block[r] * S;
                    // The forward kernel prefetches each next group of rows; start the first group here.
                    if (!block.IsRange)
                        for (int r = 0; r < Math.Min(n, 4); r++) DenseKernels.Prefetch(rows[r], D * sizeof(float));
                    break;
                case ByteMatrix bytes:
                    fixed (byte* src = bytes.Data)
                        for (int r = 0; r < n; r++)
                        {
                            // Mini-batch rows are scattered: fetch a few rows ahead so the gather is not latency-bound.
                            if (r + RowsAhead < n && !block.IsRange) DenseKernels.Prefetch(src + (long)block[r + RowsAhead] * D, D);
                            rows[r] = _x.Pointer + r * S;
                            DenseKernels.ConvertBytes(src + (long)block[r] * D, D, bytes.Scale, rows[r]);
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
        /// Turns the block's scores into E = s_j (p − e_y) in place, adding the loss, the weight and the bias gradient.
        /// −log p_y = log Σ exp(o − m) − (o_y − m).
        /// </summary>
        private void SoftmaxBlock(int n, bool withGradient, ref double loss, ref double weight)
        {
            int C = _e.Classes;
            var all = _scores.Span[..(n * C)];
            for (int r = 0; r < n; r++)
            {
                var row = all.Slice(r * C, C);
                float max = C >= 16 ? TensorPrimitives.Max(row) : ScalarMax(row);
                _shiftedTrue[r] = row[_labels[r]] - max;
                if (C >= 16) TensorPrimitives.Subtract(row, max, row);
                else for (int c = 0; c < C; c++) row[c] -= max;
            }
            TensorPrimitives.Exp(all, all);
            for (int r = 0; r < n; r++) _sums[r] = TensorPrimitives.Sum(all.Slice(r * C, C));
            TensorPrimitives.Log(_sums.AsSpan(0, n), _logs.AsSpan(0, n));
            int biasOffset = _grad.Length - C;
            for (int r = 0; r < n; r++)
            {
                float w = _rowWeight[r];
                loss += w * ((double)_logs[r] - _shiftedTrue[r]);
                weight += w;
                if (!withGradient) continue;
                var row = all.Slice(r * C, C);
                float k = w / _sums[r];
                for (int c = 0; c < C; c++) row[c] *= k;
                row[_labels[r]] -= w;
                for (int c = 0; c < C; c++) _grad[biasOffset + c] += row[c];
            }
        }

        private static float ScalarMax(ReadOnlySpan<float> row)
        {
            float m = row[0];
            for (int c = 1; c < row.Length; c++) m = MathF.Max(m, row[c]);
            return m;
        }

        private void SparseBlock(RowSet block, int n, bool withGradient, ref double loss, ref double weight)
        {
            var csr = (CsrMatrix)_e._data.Features;
            int C = _e.Classes;
            var wt = _e._w.Span;
            var b = _e._b.Span;
            var all = _scores.Span;
            for (int r = 0; r < n; r++)
            {
                var o = all.Slice(r * C, C);
                b.CopyTo(o);
                int j = block[r];
                for (long k = csr.RowPointers[j]; k < csr.RowPointers[j + 1]; k++)
                    TensorPrimitives.MultiplyAdd(wt.Slice(csr.ColumnIndices[k] * C, C), csr.Values[k], o, o);
            }
            SoftmaxBlock(n, withGradient, ref loss, ref weight);
            if (!withGradient) return;
            ref double g0 = ref MemoryMarshal.GetArrayDataReference(_grad);
            for (int r = 0; r < n; r++)
            {
                var e = all.Slice(r * C, C);
                int j = block[r];
                for (long k = csr.RowPointers[j]; k < csr.RowPointers[j + 1]; k++)
                {
                    double v = csr.Values[k];
                    ref double g = ref Unsafe.Add(ref g0, csr.ColumnIndices[k] * C);
                    for (int c = 0; c < C; c++) Unsafe.Add(ref g, c) += v * e[c];
                }
            }
        }
    }
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Softmax.Data;

namespace Softmax.Engine;

/// <summary>
/// The fast CPU engine: one fused pass over X per evaluation. Each worker takes a contiguous share of the rows
/// and, block by block, computes the scores (X Wᵀ + b) with SIMD, the softmax and loss, then accumulates
/// (P − Y)ᵀ X for the block in float32 and adds it into its own float64 gradient buffer (with AVX-512, through a
/// float32 stage widened every 256 rows or fewer). A worker that finishes its share early computes groups from the
/// back of a slower one's and hands them back to be added in their place (<see cref="StealSlots"/>). Worker buffers
/// are summed in a fixed order, so a fixed thread count gives bit-identical results on one host whoever computed which
/// rows (the block sizes follow its L1/L2 caches; <c>SOFTMAX_CACHE_SIZES=l1,l2</c> pins them across hosts). No
/// allocation per call.
/// Dense float32, uint8 (scaled on the fly) and CSR rows are supported. One evaluation at a time: an instance is not
/// thread-safe (it owns the worker buffers).
/// </summary>
public sealed unsafe partial class CpuSoftmaxLoss : ISoftmaxLoss
{
    private const int MinRowsPerThread = 64;
    private readonly Dataset _data;
    private readonly float[]? _rowWeights;      // null when every row weighs 1
    private readonly IReadOnlyList<double>? _classWeights;
    private readonly bool _useAvx512;
    private readonly int _threads;
    private readonly float _xScale;            // uint8 rows: their scale, kept in W and applied to the gradient; else 1
    private readonly PinnedBuffer<float> _w;   // (C × S) row-major, zero padding; or (D × C) for CSR
    private readonly PinnedBuffer<float> _b;   // (C)
    private readonly PinnedBuffer<float> _panels; // the first ⌊C/10⌋·10 rows of W as Avx512Kernels.PackPanels lays them out
    private readonly double[] _difference;     // (D): a row of W as scored (see ScoredRow), or Σ_c g_c
    private readonly Worker[] _workers;
    private readonly ParallelOptions _parallel;

    private readonly Action<int> _runPart;
    private int _pendingParts;
    private bool _pendingGradient;

    /// <summary>Prepares the engine for <paramref name="data"/>; buffers are allocated once here.</summary>
    public CpuSoftmaxLoss(Dataset data, CpuEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options = (options ?? new CpuEngineOptions()).Validate();
        _data = data;
        Classes = data.ClassCount;
        Features = data.FeatureCount;
        Stride = DenseMatrix.PaddedLength(Features);
        _rowWeights = SampleWeights.AreUniform(data, options.ClassWeights) ? null
            : Array.ConvertAll(SampleWeights.Combine(data, options.ClassWeights), w => (float)w);
        _classWeights = options.ClassWeights;
        _useAvx512 = options.Variant switch
        {
            KernelVariant.Portable => false,
            _ => Avx512Kernels.IsSupported,
        };
        _threads = options.EffectiveThreads;
        IsSparse = data.Features is CsrMatrix;
        _xScale = data.Features is ByteMatrix bytes ? bytes.Scale : 1f;
        WeightLength = IsSparse ? Features * Classes : Classes * Stride;
        _w = new PinnedBuffer<float>(WeightLength);
        _b = new PinnedBuffer<float>(Classes);
        _panels = new PinnedBuffer<float>(_useAvx512 && !IsSparse ? Classes / Avx512Kernels.PanelClasses * Avx512Kernels.PanelClasses * Stride : 0);
        LastClassDerived = _useAvx512 && !IsSparse && Classes == Avx512Kernels.PanelClasses;
        _difference = new double[Features];
        BlockRows = ChooseBlockRows(Stride, Classes, data.Features is DenseMatrix or CsrMatrix, staged: _useAvx512 && !IsSparse);
        StagedBlocks = _useAvx512 && !IsSparse ? BlocksPerGroup(BlockRows) : 0;
        GroupRows = StagedBlocks > 0 ? StagedBlocks * BlockRows : int.MaxValue;
        StealSlots = StagedBlocks > 0 ? StealSlotsFor((long)Classes * Stride * sizeof(float), GroupRows, 2L << 20) : 0;
        _workers = new Worker[_threads];
        for (int t = 0; t < _threads; t++) _workers[t] = new Worker(this);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = _threads };
        _runPart = RunPart;
    }

    /// <summary>Worker t computes its share of the pending rows, then helps the others (see <see cref="StealSlots"/>).</summary>
    private void RunPart(int t) => _workers[t].Run(new ReadOnlySpan<Worker>(_workers, 0, _pendingParts), t, _pendingGradient);

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int Features { get; }

    /// <inheritdoc />
    public int Rows => _data.Rows;

    /// <summary>Padded row length used by the kernels.</summary>
    public int Stride { get; }

    /// <summary>
    /// True where the kernels compute nine classes of ten (dense rows, AVX-512), in both arithmetics. Softmax is
    /// unchanged when the same number is added to every score of a row, and each row of E = s·(P − Y) sums to zero:
    /// so the engine scores classes 0…8 with w_c − w_9 (class 9 scores 0), and class 9's weight gradient is minus the
    /// sum of the other nine. The same probabilities, loss and gradient up to rounding, from 9/10 of the multiply-adds
    /// (float32 passes 4–6 % faster, float64 3–4 %).
    /// </summary>
    internal bool LastClassDerived { get; }

    /// <summary>Rows per block: sized so a block of float32 rows stays in the L2 cache between forward and backward.</summary>
    public int BlockRows { get; }

    /// <summary>
    /// Blocks whose float32 gradients a worker sums in a float32 stage before widening them into its float64 gradient
    /// (float32 and uint8 rows with AVX-512; 0 for CSR rows and the portable kernels): up to 256 rows, so no float32 partial sum is longer than a large
    /// block's. The stage has half the float64 gradient's bytes in L2, and a block adds into it with one load, add and
    /// store per vector instead of two conversions and two of each: passes 3–10 % faster on Fashion-MNIST and 10–25 %
    /// on the CIFAR-10 shape, whose 240 KiB float64 gradient crowded its 480 KiB blocks out of L2.
    /// </summary>
    internal int StagedBlocks { get; }

    /// <summary>Rows of a group: the blocks one float32 stage sums (the whole share where nothing is staged).</summary>
    internal int GroupRows { get; }

    /// <summary>
    /// Groups a worker may compute for others in one evaluation. Worker t owns the t-th contiguous share of the rows (a
    /// fixed partition), but one that finishes early takes groups from the back of a slower worker's share: these
    /// 2-vCPU hosts give their two cores unequal speeds for minutes at a time (the same pass pinned to one or the other
    /// took 13.1 and 16.2 ms, 2026-12-02), and a fixed split ran at the slower one's pace. A taken group keeps its
    /// float32 stage and per-block sums in a slot until the owner's share is done, and is then added in exactly where
    /// the owner would have added it, so the sums are the same bits whichever thread computed what (and the same as
    /// before stealing: distributed ranks that own the halves still agree with one process). Slots are native memory
    /// (<see cref="NativeBuffer{T}"/>), at most 2 MiB, 32 groups and a quarter of a share per worker; none for CSR rows
    /// and the portable kernels, which stage nothing. The float64 path does the same with its own slots: its groups
    /// of about 256 rows sum into a float64 stage (dense rows; CSR keeps a fixed split), added into the gradient once
    /// per group; its slots, twice the bytes, are capped at 1 MiB a worker (16 slots on Fashion-MNIST instead of 30:
    /// the polish is a few dozen passes, and the 2 MiB a worker that a busy host's passes touched showed in the tool's
    /// peak memory).
    /// </summary>
    internal int StealSlots { get; }

    /// <summary>Tests: called with the worker's index before it computes each group of its own share.</summary>
    internal Action<int>? BeforeOwnGroup { get; set; }

    /// <summary>Groups computed by a worker other than their owner in the last evaluation.</summary>
    internal int StolenGroups { get; private set; }

    /// <summary>Slots per worker for groups of <paramref name="groupRows"/> rows whose sums take <paramref name="slotBytes"/>: see <see cref="StealSlots"/>.</summary>
    private int StealSlotsFor(long slotBytes, int groupRows, long capBytes)
    {
        if (_threads == 1) return 0;
        long groupsPerShare = (Rows / _threads + (long)groupRows - 1) / groupRows;
        return (int)Math.Min(Math.Min(capBytes / slotBytes, (groupsPerShare + 3) / 4), 32);
    }

    /// <summary>Blocks of <paramref name="blockRows"/> rows in one group (one stage's worth): up to 256 rows, at least one block.</summary>
    private static int BlocksPerGroup(int blockRows) => Math.Max(1, Avx512Kernels.ColumnStride / blockRows);

    /// <summary>Worker t's share of <paramref name="rows"/> when <paramref name="parts"/> workers split them: the t-th contiguous part.</summary>
    private static RowSet Share(RowSet rows, int t, int parts)
    {
        int start = (int)((long)rows.Count * t / parts), end = (int)((long)rows.Count * (t + 1) / parts);
        return rows.Sub(start, end - start);
    }

    /// <summary>Floats per class column of a dense block's scores (at least BlockRows, whole vectors of 16).</summary>
    internal int ColumnStride => Avx512Kernels.ColumnStride;

    /// <summary>
    /// Entries of the engine's W layout, float32 or float64: C × S row-major with zero padding for dense rows, D × C for
    /// CSR. A worker's gradient sums are this layout followed by the C bias entries.
    /// </summary>
    private int WeightLength { get; }

    /// <summary>True when the data are CSR rows.</summary>
    public bool IsSparse { get; }

    /// <summary>Worker threads.</summary>
    public int Threads => _threads;

    /// <summary>
    /// Rows per block, from this host's L2 (<see cref="HostCaches"/>). Rows read in place (dense float32) get 3/16 of
    /// it, leaving room for the next block, which the backward pass prefetches (Fashion-MNIST: 60 rows, 10 % faster
    /// than 124 on a 1 MiB L2), but at least C rows where a float32 stage takes the blocks' gradients (AVX-512), else
    /// 4·C, so that the per-block work on the gradient (C·S entries: the stage's read-modify-write, or the float64
    /// add) stays small against the block itself. On the CIFAR-10 shape the 3/16 rule gives 16 rows (192 KiB, small
    /// enough to prefetch through L1): 6 % faster than the 40 that 4·C gave, in three in-process runs alternating the two
    /// (2026-12-02; 12 rows were no faster than 40, 8 rows 17 % slower). Rows
    /// converted into the worker's float block (uint8 and the rest) get half of L2: their bytes are 4× fewer to fetch.
    /// </summary>
    private static int ChooseBlockRows(int stride, int classes, bool inPlace, bool staged)
    {
        long rowBytes = stride * sizeof(float), most = Math.Clamp(HostCaches.L2 / 2 / rowBytes, 16, Avx512Kernels.ColumnStride);
        long rows = inPlace ? Math.Max(HostCaches.L2 * 3L / 16 / rowBytes, (staged ? 1L : 4L) * classes) : most;
        return (int)Math.Clamp(rows, 16, most) / 4 * 4;
    }

    /// <inheritdoc />
    public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows)
    {
        int dim = Classes * Features + Classes;
        if (gradientSums.Length != dim) throw new ArgumentException($"The gradient needs {dim} entries.", nameof(gradientSums));
        return Run(theta, rows, gradientSums, withGradient: true);
    }

    /// <inheritdoc />
    public LossSums Value(ReadOnlySpan<double> theta, RowSet rows) => Run(theta, rows, Span<double>.Empty, withGradient: false);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private LossSums Run(ReadOnlySpan<double> theta, RowSet rows, Span<double> gradientSums, bool withGradient)
    {
        if (theta.Length != Classes * Features + Classes) throw new ArgumentException($"θ must have C·D + C = {Classes * Features + Classes} entries.", nameof(theta));
        rows.Validate(Rows);
        if (_arithmetic == Precision.Float64)
        {
            var exact = Run64(theta, rows, gradientSums, withGradient);
            GC.KeepAlive(this);
            return exact;
        }
        PackParameters(theta);
        int parts = Math.Clamp(rows.Count / MinRowsPerThread, 1, _threads);
        // Fixed shares, all assigned before any worker starts, since each may take groups from another's.
        for (int t = 0; t < parts; t++) _workers[t].Assign(Share(rows, t, parts));
        var team = new ReadOnlySpan<Worker>(_workers, 0, parts);
        if (parts == 1) _workers[0].Run(team, 0, withGradient);
        else
        {
            (_pendingParts, _pendingGradient) = (parts, withGradient);
            WorkerTeam.Run(parts, _runPart, _parallel);
        }
        StolenGroups = 0;
        for (int t = 0; t < parts; t++) StolenGroups += _workers[t].Absorb(withGradient);
        var sums = default(LossSums);
        for (int t = 0; t < parts; t++) sums += _workers[t].Sums;
        if (withGradient) ReduceGradients(parts, gradientSums);
        GC.KeepAlive(this);
        return sums;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackParameters(ReadOnlySpan<double> theta)
    {
        int C = Classes, D = Features, S = Stride;
        var w = _w.Span;
        if (IsSparse)
        {
            for (int c = 0; c < C; c++)
                for (int d = 0; d < D; d++) w[d * C + c] = (float)theta[c * D + d];
        }
        else
        {
            for (int c = 0; c < C; c++)
            {
                var wc = w.Slice(c * S, D);
                ScoredRow(theta, c, _difference);
                TensorPrimitives.ConvertTruncating<double, float>(_difference, wc);
                if (_xScale != 1f) TensorPrimitives.Multiply(wc, _xScale, wc);
            }
        }
        var b = _b.Span;
        for (int c = 0; c < C; c++) b[c] = (float)ScoredBias(theta, c);
        if (_panels.Length > 0) Avx512Kernels.PackPanels(_w.Pointer, C, S, _panels.Pointer);
    }

    /// <summary>
    /// Row <paramref name="c"/> of W as the dense kernels score it, in float64, into <paramref name="dst"/> (D entries):
    /// θ's row, or where the last class is derived (<see cref="LastClassDerived"/>) θ's row minus the last one,
    /// differenced in float64, and zero for the last. Both arithmetics pack from it.
    /// </summary>
    private void ScoredRow(ReadOnlySpan<double> theta, int c, Span<double> dst)
    {
        int C = Classes, D = Features;
        if (!LastClassDerived) theta.Slice(c * D, D).CopyTo(dst);
        else if (c == C - 1) dst.Clear();
        else TensorPrimitives.Subtract(theta.Slice(c * D, D), theta.Slice((C - 1) * D, D), dst);
    }

    /// <summary>Bias <paramref name="c"/> as the kernels score it: b_c, or b_c − b_{C−1} where the last class is derived.</summary>
    private double ScoredBias(ReadOnlySpan<double> theta, int c) =>
        theta[Classes * Features + c] - (LastClassDerived ? theta[Classes * Features + Classes - 1] : 0);

    /// <summary>
    /// Where the kernels left the last class out (<see cref="LastClassDerived"/>): its weight gradient, minus the sum of
    /// the other classes' rows of a worker's sums (C rows of S), times <paramref name="scale"/>, added into
    /// <paramref name="grad"/> (C rows of D).
    /// </summary>
    private void SubtractSum(ReadOnlySpan<double> sums, Span<double> grad, double scale)
    {
        int C = Classes, D = Features, S = Stride;
        var sum = _difference.AsSpan();
        sums[..D].CopyTo(sum);
        for (int c = 1; c < C - 1; c++) TensorPrimitives.Add(sum, sums.Slice(c * S, D), sum);
        var last = grad.Slice((C - 1) * D, D);
        TensorPrimitives.MultiplyAdd(sum, -scale, last, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReduceGradients(int parts, Span<double> grad)
    {
        int C = Classes, D = Features, S = Stride;
        for (int t = 0; t < parts; t++)
        {
            var g = _workers[t].Gradient;
            if (IsSparse)
            {
                for (int d = 0; d < D; d++)
                    for (int c = 0; c < C; c++) grad[c * D + d] += g[d * C + c];
                for (int c = 0; c < C; c++) grad[C * D + c] += g[D * C + c];
            }
            else
            {
                // Where the kernels left the last class out, its gradient is minus the sum of the others'.
                int computed = LastClassDerived ? C - 1 : C;
                for (int c = 0; c < computed; c++)
                {
                    var src = g.Slice(c * S, D);
                    var dst = grad.Slice(c * D, D);
                    if (_xScale != 1f) TensorPrimitives.MultiplyAdd(src, (double)_xScale, dst, dst);
                    else TensorPrimitives.Add(dst, src, dst);
                }
                if (LastClassDerived) SubtractSum(g, grad, _xScale);
                for (int c = 0; c < C; c++) grad[C * D + c] += g[C * S + c];
            }
        }
    }
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Softmax.Data;

namespace Softmax.Engine;

/// <summary>
/// The fast CPU engine: one fused pass over X per evaluation. The rows are cut into a fixed set of contiguous chunks
/// (see <see cref="Chunks"/>) that the worker threads take as they come free; block by block, a worker computes the
/// scores (X Wᵀ + b) with SIMD, the softmax and loss, then accumulates (P − Y)ᵀ X for the block in float32 and adds it
/// into the chunk's own float64 gradient (with AVX-512, through a float32 stage widened every 256 rows or fewer). The
/// chunks' sums are added in chunk order, so a fixed thread count gives bit-identical results on one host whichever
/// thread took which chunk (the block sizes follow its L1/L2 caches; <c>SOFTMAX_CACHE_SIZES=l1,l2</c> pins them across
/// hosts). No allocation per call.
/// Dense float32, uint8 (scaled on the fly) and CSR rows are supported. One evaluation at a time: an instance is not
/// thread-safe (it owns the worker buffers).
/// </summary>
public sealed unsafe partial class CpuSoftmaxLoss : ISoftmaxLoss
{
    private const int MinRowsPerThread = 64;

    /// <summary>Most chunks per thread (see <see cref="Chunks"/>).</summary>
    private const int ChunksPerThread = 8;

    /// <summary>Most bytes of float64 chunk gradients in all (many classes get fewer chunks; every thread gets one).</summary>
    private const long ChunkGradientBudget = 8L << 20;
    private readonly Dataset _data;
    private readonly float[] _rowWeights;
    private readonly IReadOnlyList<double>? _classWeights;
    private readonly bool _useAvx512;
    private readonly int _threads;
    private readonly float _xScale;            // uint8 rows: their scale, kept in W and applied to the gradient; else 1
    private readonly PinnedBuffer<float> _w;   // (C × S) row-major, zero padding; or (D × C) for CSR
    private readonly PinnedBuffer<float> _b;   // (C)
    private readonly PinnedBuffer<float> _panels; // the first ⌊C/10⌋·10 rows of W as Avx512Kernels.PackPanels lays them out
    private readonly Worker[] _workers;
    private readonly PinnedBuffer<double> _chunkGradients; // (MaxChunks × ChunkGradientStride)
    private readonly LossSums[] _chunkSums;
    private readonly ParallelOptions _parallel;

    private readonly Action<int> _runPart;
    private RowSet _pendingRows;
    private int _pendingParts;
    private int _pendingChunks;
    private int _nextChunk;
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
        var weights = SampleWeights.Combine(data, options.ClassWeights);
        _rowWeights = Array.ConvertAll(weights, w => (float)w);
        _classWeights = options.ClassWeights;
        _useAvx512 = options.Variant switch
        {
            KernelVariant.Portable => false,
            _ => Avx512Kernels.IsSupported,
        };
        _threads = options.EffectiveThreads;
        IsSparse = data.Features is CsrMatrix;
        _xScale = data.Features is ByteMatrix bytes ? bytes.Scale : 1f;
        _w = new PinnedBuffer<float>(IsSparse ? Features * Classes : Classes * Stride);
        _b = new PinnedBuffer<float>(Classes);
        _panels = new PinnedBuffer<float>(_useAvx512 && !IsSparse ? Classes / Avx512Kernels.PanelClasses * Avx512Kernels.PanelClasses * Stride : 0);
        BlockRows = ChooseBlockRows(Stride, Classes, data.Features is DenseMatrix or CsrMatrix);
        StagedBlocks = _useAvx512 && !IsSparse ? Math.Max(1, Avx512Kernels.ColumnStride / BlockRows) : 0;
        GradientLength = (IsSparse ? Features * Classes : Classes * Stride) + Classes;
        ChunkGradientStride = (GradientLength + 7) & ~7; // whole cache lines: each chunk's gradient stays 64-byte aligned
        long extra = ChunkGradientBudget / ((long)ChunkGradientStride * sizeof(double) * _threads);
        MaxChunks = _threads == 1 ? 1 : _threads * (int)Math.Clamp(extra, 1, ChunksPerThread);
        _chunkGradients = new PinnedBuffer<double>(MaxChunks * ChunkGradientStride);
        _chunkSums = new LossSums[MaxChunks];
        _workers = new Worker[_threads];
        for (int t = 0; t < _threads; t++) _workers[t] = new Worker(this);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = _threads };
        _runPart = RunPart;
    }

    /// <summary>
    /// Worker t takes chunks in turn until none are left. Which worker takes which chunk varies from call to call, but
    /// each chunk's sums go to its own slot, so the result does not.
    /// </summary>
    private void RunPart(int t)
    {
        int i;
        while ((i = Interlocked.Increment(ref _nextChunk) - 1) < _pendingChunks) RunChunk(_workers[t], i);
    }

    /// <summary>Chunk i of the pending rows, into slot i.</summary>
    private void RunChunk(Worker worker, int i)
    {
        var (start, count) = Chunk(_pendingRows.Count, _pendingChunks, i);
        _chunkSums[i] = worker.Run(_pendingRows.Sub(start, count), _pendingGradient, _chunkGradients.Pointer + (long)i * ChunkGradientStride);
    }

    /// <summary>
    /// The first data row of the chunk the next worker to come free will take (a range's), or −1: what a chunk's last
    /// block prefetches, rather than the rows after it, which another worker has as like as not. Only a hint.
    /// </summary>
    private long UpcomingRow()
    {
        int k = Volatile.Read(ref _nextChunk);
        var rows = _pendingRows;
        return k < _pendingChunks && rows.IsRange ? rows[Chunk(rows.Count, _pendingChunks, k).Start] : -1;
    }

    /// <summary>
    /// Chunk i of <paramref name="chunks"/> over <paramref name="rows"/> rows: contiguous, nearly equal, and cut at
    /// whole blocks where there are enough rows (the last chunk takes the remainder).
    /// </summary>
    internal (int Start, int Count) Chunk(int rows, int chunks, int i)
    {
        int Cut(int k)
        {
            if (k >= chunks) return rows;
            int at = (int)((long)rows * k / chunks);
            return rows >= chunks * BlockRows ? at / BlockRows * BlockRows : at;
        }
        int start = Cut(i);
        return (start, Cut(i + 1) - start);
    }

    /// <summary>
    /// How many chunks a pass over <paramref name="rows"/> rows on <paramref name="parts"/> threads is cut into: with
    /// several threads, up to <see cref="ChunksPerThread"/> per thread (at least <see cref="MinRowsPerThread"/> rows
    /// each), so that a thread slowed by its host (another guest busy on the same core, an interrupt storm) takes fewer
    /// of them instead of holding up the rest. A fixed split ran at the pace of the slower of two cores: 10–30 % behind
    /// the other on the 2-core hosts here (2026-12-02).
    /// </summary>
    internal int Chunks(int rows, int parts) =>
        parts <= 1 ? 1 : Math.Clamp(rows / MinRowsPerThread, parts, MaxChunks);

    /// <summary>Entries of a gradient sum: (C × S) + C, or (D × C) + C for CSR rows.</summary>
    internal int GradientLength { get; }

    /// <summary>Doubles between consecutive chunk gradients.</summary>
    private int ChunkGradientStride { get; }

    /// <summary>Most chunks a pass is cut into.</summary>
    internal int MaxChunks { get; }

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int Features { get; }

    /// <inheritdoc />
    public int Rows => _data.Rows;

    /// <summary>Padded row length used by the kernels.</summary>
    public int Stride { get; }

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

    /// <summary>Floats per class column of a dense block's scores (at least BlockRows, whole vectors of 16).</summary>
    internal int ColumnStride => Avx512Kernels.ColumnStride;

    /// <summary>True when the data are CSR rows.</summary>
    public bool IsSparse { get; }

    /// <summary>Worker threads.</summary>
    public int Threads => _threads;

    /// <summary>
    /// Rows per block, from this host's L2 (<see cref="HostCaches"/>). Rows read in place (dense float32) get 3/16 of
    /// it, leaving room for the next block, which the backward pass prefetches (Fashion-MNIST: 60 rows, 10 % faster
    /// than 124 on a 1 MiB L2), but at least 4·C rows, so that the per-block work on the gradient (C·S entries: the
    /// float32 stage's read-modify-write, or the float64 add without AVX-512) stays small against the block itself
    /// (CIFAR-10 shape: 40 rows, 6 % faster than 16 when measured with the float64 add; with the stage, 24 rows were
    /// 4–6 % slower than 40 and 32 no different). Rows
    /// converted into the worker's float block (uint8 and the rest) get half of L2: their bytes are 4× fewer to fetch.
    /// </summary>
    private static int ChooseBlockRows(int stride, int classes, bool inPlace)
    {
        long rowBytes = stride * sizeof(float), most = Math.Clamp(HostCaches.L2 / 2 / rowBytes, 16, Avx512Kernels.ColumnStride);
        long rows = inPlace ? Math.Max(HostCaches.L2 * 3L / 16 / rowBytes, 4L * classes) : most;
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
        int chunks = Chunks(rows.Count, parts);
        (_pendingRows, _pendingParts, _pendingChunks, _pendingGradient) = (rows, parts, chunks, withGradient);
        if (parts == 1)
        {
            for (int i = 0; i < chunks; i++)
            {
                _nextChunk = i + 1;
                RunChunk(_workers[0], i);
            }
        }
        else
        {
            _nextChunk = 0;
            WorkerTeam.Run(parts, _runPart, _parallel);
        }
        _pendingRows = default;
        var sums = default(LossSums);
        for (int i = 0; i < chunks; i++) sums += _chunkSums[i];
        if (withGradient) ReduceGradients(chunks, gradientSums);
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
                TensorPrimitives.ConvertTruncating<double, float>(theta.Slice(c * D, D), wc);
                if (_xScale != 1f) TensorPrimitives.Multiply(wc, _xScale, wc);
            }
        }
        var b = _b.Span;
        for (int c = 0; c < C; c++) b[c] = (float)theta[C * D + c];
        if (_panels.Length > 0) Avx512Kernels.PackPanels(_w.Pointer, C, S, _panels.Pointer);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReduceGradients(int chunks, Span<double> grad)
    {
        int C = Classes, D = Features, S = Stride;
        // Sum the chunks into the first one, in chunk order for every entry, a tile at a time so that each chunk is read
        // sequentially and the running sums stay in L1.
        double* first = _chunkGradients.Pointer;
        const int Tile = 1024;
        for (int t0 = 0; t0 < GradientLength; t0 += Tile)
        {
            int n = Math.Min(Tile, GradientLength - t0);
            var total = new Span<double>(first + t0, n);
            for (int i = 1; i < chunks; i++)
                TensorPrimitives.Add(total, new ReadOnlySpan<double>(first + (long)i * ChunkGradientStride + t0, n), total);
        }
        var g = new ReadOnlySpan<double>(first, GradientLength);
        if (IsSparse)
        {
            for (int d = 0; d < D; d++)
                for (int c = 0; c < C; c++) grad[c * D + d] += g[d * C + c];
            for (int c = 0; c < C; c++) grad[C * D + c] += g[D * C + c];
            return;
        }
        for (int c = 0; c < C; c++)
        {
            var src = g.Slice(c * S, D);
            var dst = grad.Slice(c * D, D);
            if (_xScale != 1f) TensorPrimitives.MultiplyAdd(src, (double)_xScale, dst, dst);
            else TensorPrimitives.Add(dst, src, dst);
        }
        for (int c = 0; c < C; c++) grad[C * D + c] += g[C * S + c];
    }
}

using ILGPU;
using ILGPU.Runtime;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Gpu.Kernels;

namespace Softmax.Gpu;

/// <summary>
/// The softmax data term on a GPU through ILGPU, over device-resident data: X is uploaded once (float32 rows of a
/// <see cref="DenseMatrix"/>, or the bytes of a <see cref="ByteMatrix"/>, scaled in the kernel), with the labels and
/// the row weights s_j. Each call uploads θ as float32 (C·D + C values), runs the fused kernel and the deterministic
/// reduction, and downloads the C·D + C gradient sums and the two loss sums in float64, since
/// <see cref="ISoftmaxLoss"/> hands its sums to a host-side solver. (The host round trip is measured by
/// bench/gpu.)
/// <para>CSR (sparse) features are not supported: the constructor throws <see cref="NotSupportedException"/>;
/// use the CPU engine (<see cref="CpuSoftmaxLoss"/>) for sparse data.</para>
/// <para>Not thread-safe: one call at a time.</para>
/// </summary>
public sealed class GpuSoftmaxLoss : ISoftmaxLoss, IDisposable
{
    private readonly GpuDevice _device;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _xf;
    private readonly MemoryBuffer1D<byte, Stride1D.Dense>? _xb;
    private readonly float _scale;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _labels;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _weights;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _theta;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _part;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _scalars;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _result;
    private MemoryBuffer1D<int, Stride1D.Dense> _index;
    private MemoryBuffer1D<float, Stride1D.Dense>? _naiveG;
    private MemoryBuffer1D<double, Stride1D.Dense>? _naiveStats;
    private readonly float[] _thetaHost;
    private readonly double[] _resultHost;
    private int[] _indexHost = [];
    private bool _disposed;

    /// <summary>Uploads <paramref name="data"/> (already preprocessed) to <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">The features are CSR.</exception>
    /// <exception cref="GpuMemoryException">The data do not fit in device memory.</exception>
    public GpuSoftmaxLoss(GpuDevice device, Dataset data, GpuEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(data);
        Options = (options ?? new GpuEngineOptions()).Validate();
        _device = device;
        Classes = data.ClassCount;
        Features = data.FeatureCount;
        Rows = data.Rows;
        if (data.Features is CsrMatrix)
            throw new NotSupportedException("The GPU engine does not support CSR (sparse) features. Train sparse data on the CPU engine (CpuSoftmaxLoss, --device cpu).");
        if (Classes > 1024) throw new NotSupportedException($"The GPU engine supports up to 1024 classes ({Classes} given); use the CPU engine.");
        int C = Classes, D = Features;
        long p = (long)C * D + C;
        if (p + 2 > int.MaxValue / 2) throw new NotSupportedException("C·D is too large for the GPU engine.");
        Parameters = (int)p;
        var s = SampleWeights.Combine(data, Options.ClassWeights);

        var acc = device.Accelerator;
        int tiles = Math.Max(1, (Rows + Kernel2Fused.TileRows - 1) / Kernel2Fused.TileRows);
        int blocks = Options.MaxBlocks > 0 ? Options.MaxBlocks : 4 * Math.Max(1, device.Accelerator.NumMultiprocessors);
        long partCap = Math.Max(1, (256L << 20) / (p * sizeof(float)));
        Blocks = (int)Math.Min(Math.Min(blocks, tiles), partCap);

        FeatureMatrix x = data.Features;
        if (x is not DenseMatrix and not ByteMatrix) x = x.ToDense();
        Stride = x is DenseMatrix dm ? dm.Stride : D;
        long xBytes = x is DenseMatrix ? (long)Rows * Stride * sizeof(float) : (long)Rows * D;
        long rowBytes = (long)Rows * 12;
        long work = p * 4 + (long)Blocks * p * 4 + Blocks * 16L + (p + 2) * 8;
        device.EnsureFits(xBytes + rowBytes + work, $"X {GpuDevice.Gib(xBytes)} as {(x is ByteMatrix ? "uint8" : "float32")}, labels/weights/index {GpuDevice.Gib(rowBytes)}, work {GpuDevice.Gib(work)}", Options.MemoryLimitBytes);

        if (x is DenseMatrix dense) _xf = Upload<float>(dense.Storage);
        else
        {
            var bytes = (ByteMatrix)x;
            _scale = bytes.Scale;
            _xb = Upload<byte>(bytes.Data.AsSpan(0, Rows * D));
        }
        _labels = Upload<int>(data.Labels);
        _weights = Upload<float>(Array.ConvertAll(s, v => (float)v));
        _index = acc.Allocate1D<int>(Math.Max(1, Rows));
        _theta = acc.Allocate1D<float>(p);
        _part = acc.Allocate1D<float>(Blocks * p);
        _scalars = acc.Allocate1D<double>(2L * Blocks);
        _result = acc.Allocate1D<double>(p + 2);
        _thetaHost = new float[p];
        _resultHost = new double[p + 2];
        acc.Synchronize();
        device.Own(this);
    }

    // A device copy of values (at least one element: ILGPU allocates no empty buffer).
    private MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var buffer = _device.Accelerator.Allocate1D<T>(Math.Max(1, values.Length));
        if (values.Length > 0) buffer.View.SubView(0, values.Length).CopyFromCPU(_device.Accelerator.DefaultStream, values);
        return buffer;
    }

    /// <summary>Settings.</summary>
    public GpuEngineOptions Options { get; }

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int Features { get; }

    /// <inheritdoc />
    public int Rows { get; }

    /// <summary>The GPU kernels sum in float32; the trainer evaluates the reported F in float64 on the CPU.</summary>
    public Precision Arithmetic => Precision.Float32;

    /// <inheritdoc />
    public bool TrySetArithmetic(Precision arithmetic) => arithmetic == Precision.Float32;

    /// <summary>C·D + C.</summary>
    public int Parameters { get; }

    /// <summary>Elements between rows of X on the device.</summary>
    public int Stride { get; }

    /// <summary>Groups of a full-batch fused launch (fixes the reduction order).</summary>
    public int Blocks { get; }

    /// <summary>True when X lives on the device as uint8.</summary>
    public bool IsUint8 => _xb is not null;

    /// <inheritdoc />
    public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows)
    {
        if (gradientSums.Length != Parameters) throw new ArgumentException($"The gradient needs {Parameters} entries.", nameof(gradientSums));
        if (!Launch(theta, rows, withGradient: true)) return default;
        _result.View.CopyToCPU(_device.Accelerator.DefaultStream, _resultHost.AsSpan());
        for (int i = 0; i < Parameters; i++) gradientSums[i] += _resultHost[i];
        return new LossSums(_resultHost[Parameters], _resultHost[Parameters + 1]);
    }

    /// <inheritdoc />
    public LossSums Value(ReadOnlySpan<double> theta, RowSet rows)
    {
        if (!Launch(theta, rows, withGradient: false)) return default;
        _result.View.SubView(Parameters, 2).CopyToCPU(_device.Accelerator.DefaultStream, _resultHost.AsSpan(Parameters, 2));
        return new LossSums(_resultHost[Parameters], _resultHost[Parameters + 1]);
    }

    // Queues the sums over rows at θ; false (nothing queued) for no rows.
    private bool Launch(ReadOnlySpan<double> theta, RowSet rows, bool withGradient)
    {
        CheckTheta(theta);
        if (rows.Count == 0) return false;
        UploadTheta(theta);
        Enqueue(PrepareRows(rows, withGradient), withGradient);
        return true;
    }

    /// <summary>Uploads θ (float64 on the host) as float32; the next launches use it.</summary>
    public void UploadTheta(ReadOnlySpan<double> theta)
    {
        CheckTheta(theta);
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < theta.Length; i++) _thetaHost[i] = (float)theta[i];
        _theta.View.CopyFromCPU(_device.Accelerator.DefaultStream, (ReadOnlySpan<float>)_thetaHost);
    }

    /// <summary>
    /// Queues one full-batch evaluation (kernels and reduction) on the default stream with the θ already uploaded,
    /// without waiting or downloading. For benchmarks: pair with <see cref="Synchronize"/>.
    /// </summary>
    public void EnqueueFullBatch(bool withGradient = true) => Enqueue(PrepareRows(RowSet.Range(0, Rows), withGradient), withGradient);

    /// <summary>Waits for queued work.</summary>
    public void Synchronize() => _device.Accelerator.Synchronize();

    private void CheckTheta(ReadOnlySpan<double> theta)
    {
        if (theta.Length != Parameters) throw new ArgumentException($"θ must have C·D + C = {Parameters} entries.", nameof(theta));
    }

    private RowArgs PrepareRows(RowSet rows, bool withGradient)
    {
        int count = rows.Count;
        if (rows.IsRange)
        {
            if (rows.Start < 0 || (long)rows.Start + count > Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"Rows {rows.Start}..{rows.Start + count - 1} exceed {Rows}.");
        }
        else
        {
            if (_indexHost.Length < count) _indexHost = new int[count];
            for (int i = 0; i < count; i++)
            {
                int r = rows[i];
                if ((uint)r >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"Row {r} exceeds {Rows}.");
                _indexHost[i] = r;
            }
            if (_index.Length < count)
            {
                _index.Dispose();
                _index = _device.Accelerator.Allocate1D<int>(count);
            }
            _index.View.SubView(0, count).CopyFromCPU(_device.Accelerator.DefaultStream, (ReadOnlySpan<int>)_indexHost.AsSpan(0, count));
        }
        return new RowArgs
        {
            Features = Features, Stride = Stride, Classes = Classes, Start = rows.IsRange ? rows.Start : 0, Count = count,
            UseIndex = rows.IsRange ? 0 : 1, WithGradient = withGradient ? 1 : 0,
            Tiles = (count + Kernel2Fused.TileRows - 1) / Kernel2Fused.TileRows,
        };
    }

    private void Enqueue(RowArgs a, bool withGradient)
    {
        if (_xf is not null) Enqueue(new DenseRows { X = _xf.View }, a, withGradient);
        else Enqueue(new ByteRows { X = _xb!.View, Scale = _scale }, a, withGradient);
    }

    /// <summary>Queues the sums over the rows of <paramref name="a"/> into the result buffer, without waiting.</summary>
    private void Enqueue<TX>(TX x, RowArgs a, bool withGradient) where TX : struct, IFeatureRows
    {
        var k = _device.Kernels<TX>();
        if (Options.Kernel == GpuKernel.Naive)
        {
            if (_naiveG is null || _naiveG.Length < (long)a.Count * Classes)
            {
                _naiveG?.Dispose();
                _naiveStats?.Dispose();
                _naiveG = _device.Accelerator.Allocate1D<float>(Math.Max(1, (long)Rows * Classes));
                _naiveStats = _device.Accelerator.Allocate1D<double>(Math.Max(2, 2L * Rows));
            }
            k.NaiveRows(a.Count, x, _labels.View, _weights.View, _index.View, _theta.View, _naiveG.View, _naiveStats!.View, a);
            k.NaiveSums(Parameters + 2, x, _index.View, _naiveG.View, _naiveStats.View, _result.View, a);
            return;
        }
        int blocks = Math.Max(1, Math.Min(Blocks, a.Tiles));
        var cfg = Kernel2Fused.Config(blocks, _device.GroupSize, Classes);
        k.Fused(cfg, x, _labels.View, _weights.View, _index.View, _theta.View, _part.View, _scalars.View, a);
        int first = withGradient ? 0 : Parameters, count = withGradient ? Parameters + 2 : 2;
        _device.Reduce(count, _part.View, _scalars.View, _result.View, Parameters, blocks, first, count);
    }

    /// <summary>Frees the device buffers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Release(this);
        foreach (var buffer in new MemoryBuffer?[] { _xf, _xb, _labels, _weights, _index, _theta, _part, _scalars, _result, _naiveG, _naiveStats })
            buffer?.Dispose();
    }
}

using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Softmax.Gpu.Kernels;

namespace Softmax.Gpu;

/// <summary>Where training runs, as the library and the CLI (<c>--device auto|cpu|cuda</c>) choose it.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when a device is present, else the CPU engine with a one-line notice.</summary>
    Auto,
    /// <summary>The CPU engine (<c>CpuSoftmaxLoss</c>).</summary>
    Cpu,
    /// <summary>CUDA; an error when no device is usable.</summary>
    Cuda,
}

/// <summary>Thrown when the data do not fit in device memory; the message says how much is needed and what is there.</summary>
public sealed class GpuMemoryException(string message) : InvalidOperationException(message);

/// <summary>
/// One ILGPU context and accelerator: a CUDA GPU, or ILGPU's CPU accelerator (which runs the same kernels,
/// slowly, so tests and CI check them without a GPU). Kernels are compiled once per device, on first use.
/// Losses created on the device are disposed with it.
/// </summary>
public sealed class GpuDevice : IDisposable
{
    private readonly Context _context;
    private readonly Dictionary<Type, object> _rowKernels = [];
    private readonly List<IDisposable> _owned = [];
    private Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<double>, int, int, int, int>? _reduce;
    private bool _disposed;

    private GpuDevice(Context context, Accelerator accelerator)
    {
        _context = context;
        Accelerator = accelerator;
        int warp = Math.Max(1, accelerator.WarpSize);
        int group = Math.Min(256, accelerator.MaxNumThreadsPerGroup) / warp * warp;
        GroupSize = Math.Max(warp, group);
    }

    /// <summary>The ILGPU accelerator (for advanced use and benchmarks).</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Threads per group used by the tile kernels (≤ 256, a multiple of the warp size).</summary>
    public int GroupSize { get; }

    /// <summary>One line describing the device.</summary>
    public override string ToString()
    {
        string extra = Accelerator is CudaAccelerator cuda ? $", {cuda.Architecture}, driver {cuda.DriverVersion}" : "";
        var a = Accelerator;
        return $"{a.AcceleratorType} {a.Name} ({a.MemorySize / (double)(1L << 30):F1} GiB, {a.NumMultiprocessors} MPs, warp {a.WarpSize}{extra})";
    }

    /// <summary>Opens CUDA device <paramref name="ordinal"/>; false with the reason when there is none or it cannot start.</summary>
    public static bool TryCreateCuda(out GpuDevice? device, out string reason, int ordinal = 0)
    {
        device = null;
        Context? context = null;
        try
        {
            context = Context.Create(b => b.Cuda().EnableAlgorithms());
            var cudas = context.Devices.Where(d => d.AcceleratorType == AcceleratorType.Cuda).ToArray();
            reason = cudas.Length == 0 ? "no CUDA device found (no NVIDIA driver, or no GPU visible to this process)"
                : (uint)ordinal >= (uint)cudas.Length ? $"CUDA device {ordinal} does not exist ({cudas.Length} found)" : "";
            if (reason.Length > 0)
            {
                context.Dispose();
                return false;
            }
            device = new GpuDevice(context, cudas[ordinal].CreateAccelerator(context));
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            context?.Dispose();
            reason = $"CUDA could not start: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// ILGPU's CPU accelerator with a small simulated GPU (warps of <paramref name="warpSize"/> threads). For tests.
    /// </summary>
    public static GpuDevice CreateCpuAccelerator(int warpSize = 4, int warpsPerGroup = 4, int multiprocessors = 2)
    {
        var cpu = new CPUDevice(warpSize, warpsPerGroup, multiprocessors);
        var context = Context.Create(b => b.CPU(cpu).EnableAlgorithms());
        var acc = context.GetCPUDevice(0).CreateAccelerator(context);
        return new GpuDevice(context, acc);
    }

    /// <summary>
    /// Resolves a <see cref="ComputeDevice"/>: a CUDA device, or null for the CPU engine. With
    /// <see cref="ComputeDevice.Auto"/> and no GPU, <paramref name="notice"/> is the one line to show the user;
    /// with <see cref="ComputeDevice.Cuda"/> and no GPU it throws with the reason.
    /// </summary>
    public static GpuDevice? Open(ComputeDevice choice, out string? notice)
    {
        notice = null;
        switch (choice)
        {
            case ComputeDevice.Cpu:
                return null;
            case ComputeDevice.Cuda:
                if (TryCreateCuda(out var d, out var why)) return d;
                throw new InvalidOperationException($"--device cuda: {why}. Use --device cpu (or auto) to train on the CPU.");
            default:
                if (TryCreateCuda(out var a, out var reason)) return a;
                notice = $"GPU not used: {reason}; training on the CPU.";
                return null;
        }
    }

    /// <summary>Throws <see cref="GpuMemoryException"/> when <paramref name="bytes"/> exceed the usable memory.</summary>
    internal void EnsureFits(long bytes, string detail, long? limit)
    {
        long usable = limit ?? (long)(Accelerator.MemorySize * 0.9);
        if (bytes > usable)
            throw new GpuMemoryException(
                $"The data need {Gib(bytes)} on {Accelerator.Name} ({detail}), but only {Gib(usable)} of its {Gib(Accelerator.MemorySize)} are usable. " +
                "Train on the CPU engine (--device cpu), use fewer rows, or keep images as uint8.");
    }

    internal static string Gib(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";

    internal RowKernels<TX> Kernels<TX>() where TX : struct, IFeatureRows
    {
        lock (_rowKernels)
        {
            if (!_rowKernels.TryGetValue(typeof(TX), out var k)) _rowKernels[typeof(TX)] = k = new RowKernels<TX>(Accelerator);
            return (RowKernels<TX>)k;
        }
    }

    /// <summary>The reduction of the block partials, shared by every feature type.</summary>
    internal Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<double>, int, int, int, int> Reduce
    {
        get
        {
            lock (_rowKernels)
                return _reduce ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<double>, int, int, int, int>(Kernel2Fused.Reduce);
        }
    }

    internal void Own(IDisposable d)
    {
        lock (_owned) _owned.Add(d);
    }

    internal void Release(IDisposable d)
    {
        lock (_owned) _owned.Remove(d);
    }

    /// <summary>Frees the losses created here, the accelerator and the context.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        IDisposable[] owned;
        lock (_owned) owned = [.. _owned];
        foreach (var d in owned) d.Dispose();
        Accelerator.Dispose();
        _context.Dispose();
    }
}

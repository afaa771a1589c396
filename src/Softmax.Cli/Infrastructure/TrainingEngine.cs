using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Gpu;
using Softmax.Model;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// The compute engine of one run, as <c>--device</c> chose it: the CPU, or a GPU whose loss is the data term of every
/// solver (L-BFGS's full passes and the mini-batch solvers' batches alike). The run opens it and disposes it after
/// training; option parsing never touches a device. It counts the passes the device ran, for the metrics JSON.
/// <para>Test hook: with the environment variable <c>SOFTMAX_GPU_DEVICE=ilgpu-cpu</c>, <c>--device cuda</c> (and
/// auto) open ILGPU's CPU accelerator, which runs the same kernels, instead of a CUDA GPU (there is none in CI).</para>
/// </summary>
public sealed class TrainingEngine : IDisposable
{
    /// <summary>The environment variable of the test hook.</summary>
    public const string DeviceVariable = "SOFTMAX_GPU_DEVICE";

    private long _passes;

    private TrainingEngine(GpuDevice? device) => Device = device;

    /// <summary>The GPU, or null for the CPU engine.</summary>
    public GpuDevice? Device { get; }

    /// <summary>"gpu" or "cpu".</summary>
    public string Kind => Device is null ? "cpu" : "gpu";

    /// <summary>Passes (full or mini-batch) the GPU loss ran; 0 on the CPU.</summary>
    public long DevicePasses => Interlocked.Read(ref _passes);

    /// <summary>Opens the engine <paramref name="choice"/> names (with auto and no GPU, says so on stderr); notes the device through <paramref name="ui"/>.</summary>
    public static TrainingEngine Open(ComputeDevice choice, Ui ui)
    {
        ArgumentNullException.ThrowIfNull(ui);
        if (choice == ComputeDevice.Cpu) return new TrainingEngine(null);
        if (Environment.GetEnvironmentVariable(DeviceVariable) is { Length: > 0 } hook)
        {
            if (hook != "ilgpu-cpu") throw new UsageException($"{DeviceVariable}={hook}: the only value is ilgpu-cpu (ILGPU's CPU accelerator, for tests).");
            var simulated = new TrainingEngine(GpuDevice.CreateCpuAccelerator());
            ui.Note($"device: {simulated.Device} ({DeviceVariable}=ilgpu-cpu)");
            return simulated;
        }
        GpuDevice? device;
        try
        {
            device = GpuDevice.Open(choice, out string? notice);
            // On stderr even under --quiet: the run is not where --device auto would have put it.
            if (notice is not null) Console.Error.WriteLine($"softmax: note: {TerminalText.Safe(notice)}");
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }
        if (device is not null) ui.Note($"device: {device}");
        return new TrainingEngine(device);
    }

    /// <summary><paramref name="options"/> with this engine's data term plugged in (unchanged on the CPU).</summary>
    public TrainingOptions Apply(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Device is not { } device) return options;
        return options with { LossFactory = (x, classWeights) => new CountedLoss(Upload(device, x, classWeights), this) };
    }

    /// <summary>The GPU loss over <paramref name="x"/>; data the device cannot hold or read is a usage error (exit 2) that says why.</summary>
    private static GpuSoftmaxLoss Upload(GpuDevice device, Dataset x, IReadOnlyList<double>? classWeights)
    {
        try
        {
            return new GpuSoftmaxLoss(device, x, new GpuEngineOptions(ClassWeights: classWeights));
        }
        catch (Exception e) when (e is NotSupportedException or GpuMemoryException)
        {
            throw new UsageException($"--device: {e.Message}");
        }
    }

    /// <summary>Frees the device (and the losses made on it).</summary>
    public void Dispose() => Device?.Dispose();

    /// <summary>Forwards to the GPU loss and counts its passes; the trainer disposes it with the loss.</summary>
    private sealed class CountedLoss(GpuSoftmaxLoss inner, TrainingEngine engine) : ISoftmaxLoss, IDisposable
    {
        public int Classes => inner.Classes;
        public int Features => inner.Features;
        public int Rows => inner.Rows;
        public Precision Arithmetic => inner.Arithmetic;
        public bool TrySetArithmetic(Precision arithmetic) => inner.TrySetArithmetic(arithmetic);

        public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows)
        {
            Interlocked.Increment(ref engine._passes);
            return inner.Accumulate(theta, gradientSums, rows);
        }

        public LossSums Value(ReadOnlySpan<double> theta, RowSet rows)
        {
            Interlocked.Increment(ref engine._passes);
            return inner.Value(theta, rows);
        }

        public void Dispose() => inner.Dispose();
    }
}

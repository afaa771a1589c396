using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Gpu;

/// <summary>Plugs the GPU engine into <c>TrainingOptions.LossFactory</c>.</summary>
public static class GpuEngine
{
    /// <summary>A factory that builds a <see cref="GpuSoftmaxLoss"/> on <paramref name="device"/> for each training set.</summary>
    public static Func<Dataset, IReadOnlyList<double>?, ISoftmaxLoss> LossFactory(GpuDevice device, GpuEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var o = options ?? new GpuEngineOptions();
        return (data, classWeights) => new GpuSoftmaxLoss(device, data, o with { ClassWeights = classWeights ?? o.ClassWeights });
    }

    /// <summary>
    /// Resolves <paramref name="choice"/> (<c>--device auto|cpu|cuda</c>) to a factory, or null for the CPU engine.
    /// <paramref name="device"/> is the opened GPU (dispose it after training); <paramref name="notice"/> is the
    /// one-line message for <see cref="ComputeDevice.Auto"/> without a GPU.
    /// </summary>
    public static Func<Dataset, IReadOnlyList<double>?, ISoftmaxLoss>? LossFactory(ComputeDevice choice, out GpuDevice? device, out string? notice, GpuEngineOptions? options = null)
    {
        device = GpuDevice.Open(choice, out notice);
        return device is null ? null : LossFactory(device, options);
    }

    /// <summary>Parses "auto", "cpu" or "cuda" (case-insensitive).</summary>
    public static ComputeDevice ParseDevice(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" or "gpu" => ComputeDevice.Cuda,
        _ => throw new ArgumentException($"Unknown device '{text}': use auto, cpu or cuda."),
    };
}

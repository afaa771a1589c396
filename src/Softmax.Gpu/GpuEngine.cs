namespace Softmax.Gpu;

/// <summary>The <c>--device</c> choice.</summary>
public static class GpuEngine
{
    /// <summary>Parses "auto", "cpu" or "cuda" (case-insensitive).</summary>
    public static ComputeDevice ParseDevice(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" or "gpu" => ComputeDevice.Cuda,
        _ => throw new ArgumentException($"Unknown device '{text}': use auto, cpu or cuda."),
    };
}

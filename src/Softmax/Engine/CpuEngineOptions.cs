namespace Softmax.Engine;

/// <summary>Settings of the CPU engine.</summary>
/// <param name="Threads">Worker threads; 0 means all cores. Results are bit-identical for a fixed thread count on one host (block sizes follow its L1/L2 caches; <c>SOFTMAX_CACHE_SIZES=l1,l2</c> pins them across hosts).</param>
/// <param name="Variant">Which inner loops to use.</param>
/// <param name="ClassWeights">Optional weight per class, multiplied into each row's sample weight.</param>
public sealed record CpuEngineOptions(int Threads = 0, KernelVariant Variant = KernelVariant.Auto, IReadOnlyList<double>? ClassWeights = null)
{
    /// <summary>The thread count actually used.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>Checks the settings once, before training.</summary>
    public CpuEngineOptions Validate()
    {
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), "Threads must be 0 (all cores) or positive.");
        if (Variant == KernelVariant.Avx512 && !Avx512Kernels.IsSupported)
            throw new PlatformNotSupportedException("This processor has no AVX-512; use KernelVariant.Auto or Portable.");
        return this;
    }
}

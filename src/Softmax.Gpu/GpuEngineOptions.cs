namespace Softmax.Gpu;

/// <summary>Which kernel computes value and gradient (llm.c's numbered variants).</summary>
public enum GpuKernel
{
    /// <summary>Kernel 1: per-row then per-entry, reads X C+1 times. For validation only.</summary>
    Naive = 1,
    /// <summary>Kernel 2: one fused pass per tile of rows, block partials, deterministic reduction. The default.</summary>
    Fused = 2,
}

/// <summary>Settings of <see cref="GpuSoftmaxLoss"/>.</summary>
/// <param name="Kernel">Value-and-gradient kernel.</param>
/// <param name="MaxBlocks">Groups of the fused launch (0: 4 per multiprocessor). The block count fixes the reduction
/// order: results are bit-identical run to run for a given value and device.</param>
/// <param name="ClassWeights">Per-class weights, as in <c>CpuEngineOptions</c>.</param>
/// <param name="MemoryLimitBytes">Usable device memory (null: 90% of the device's).</param>
public sealed record GpuEngineOptions(GpuKernel Kernel = GpuKernel.Fused, int MaxBlocks = 0,
    IReadOnlyList<double>? ClassWeights = null, long? MemoryLimitBytes = null)
{
    /// <summary>Checks the settings.</summary>
    public GpuEngineOptions Validate()
    {
        if (MaxBlocks < 0) throw new ArgumentOutOfRangeException(nameof(MaxBlocks), "MaxBlocks must be ≥ 0.");
        if (!Enum.IsDefined(Kernel)) throw new ArgumentOutOfRangeException(nameof(Kernel));
        if (MemoryLimitBytes is < 0) throw new ArgumentOutOfRangeException(nameof(MemoryLimitBytes));
        return this;
    }
}

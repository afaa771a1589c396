namespace Softmax.Engine;

/// <summary>Which CPU inner loops to use.</summary>
public enum KernelVariant
{
    /// <summary>The fastest the processor supports.</summary>
    Auto,
    /// <summary>Register-blocked AVX-512 micro-kernels.</summary>
    Avx512,
    /// <summary>TensorPrimitives-only loops (any processor).</summary>
    Portable,
}

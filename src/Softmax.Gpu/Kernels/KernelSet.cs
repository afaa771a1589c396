using ILGPU;
using ILGPU.Runtime;

namespace Softmax.Gpu.Kernels;

/// <summary>The row kernels compiled for one accelerator and one feature type (float32 or uint8 rows).</summary>
internal sealed class RowKernels<TX>(Accelerator acc) where TX : struct, IFeatureRows
{
    public Action<Index1D, TX, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, RowArgs> NaiveRows { get; } =
        acc.LoadAutoGroupedStreamKernel<Index1D, TX, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, RowArgs>(Kernel1Naive.Rows);

    public Action<Index1D, TX, ArrayView<int>, ArrayView<float>, ArrayView<double>, ArrayView<double>, RowArgs> NaiveSums { get; } =
        acc.LoadAutoGroupedStreamKernel<Index1D, TX, ArrayView<int>, ArrayView<float>, ArrayView<double>, ArrayView<double>, RowArgs>(Kernel1Naive.Sums);

    public Action<KernelConfig, TX, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, RowArgs> Fused { get; } =
        acc.LoadStreamKernel<TX, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, RowArgs>(Kernel2Fused.Run);
}

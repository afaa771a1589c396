using Softmax.Engine;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Engine;

/// <summary>The fast engine allocates nothing per evaluation: full batch or mini-batch, value or value-and-gradient.</summary>
public sealed class AllocationTests
{
    [Theory]
    [InlineData(KernelVariant.Auto)]
    [InlineData(KernelVariant.Portable)]
    public void Evaluations_do_not_allocate(KernelVariant variant)
    {
        var data = Dense(rows: 700, features: 37, classes: 10, seed: 5);
        var objective = new SoftmaxObjective(new CpuSoftmaxLoss(data, new CpuEngineOptions(Threads: 1, Variant: variant)), l2: 1e-3);
        var theta = new double[objective.Dimension];
        var gradient = new double[objective.Dimension];
        var batch = Enumerable.Range(0, 128).Select(i => (i * 5) % data.Rows).ToArray();
        void Work()
        {
            objective.ValueAndGradient(theta, gradient);
            objective.ValueAndGradient(theta, gradient, RowSet.Of(batch, 0, batch.Length));
            objective.Value(theta);
        }
        for (int i = 0; i < 5; i++) Work();   // first calls may JIT and allocate
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) Work();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}

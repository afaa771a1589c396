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
        // Steady state allocates nothing: a round of 20 calls must come out at 0 bytes. A one-off allocation by the
        // runtime (a tier-up or on-stack replacement compiling on this thread while the rest of the suite runs) may
        // spoil one round, so up to 10 rounds are tried; an allocation per call would spoil every round.
        var rounds = new List<long>();
        for (int round = 0; round < 10; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) Work();
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (rounds[^1] == 0) return;
        }
        Assert.Fail($"every round of 20 evaluations allocated: {string.Join(", ", rounds)} bytes");
    }
}

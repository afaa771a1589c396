using Softmax.Data;
using Softmax.Engine;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Engine;

/// <summary>
/// The CPU engine cuts a pass into chunks that its threads take as they come free, each chunk summing into its own
/// float64 slot: the chunks must cover every row once, and the result must not depend on which thread took which chunk.
/// </summary>
public class ChunkTests
{
    public static TheoryData<int, int> RowsAndFeatures() => new()
    {
        { 0, 37 }, { 1, 37 }, { 63, 37 }, { 64, 37 }, { 129, 37 }, { 1001, 37 }, { 4096, 37 }, { 5000, 37 },
        { 60000, 784 }, { 50000, 3072 }, { 777, 700 },
    };

    [Theory]
    [MemberData(nameof(RowsAndFeatures))]
    public void Chunks_cover_every_row_once_in_order_cut_at_whole_blocks_when_there_are_enough(int rows, int features)
    {
        var engine = new CpuSoftmaxLoss(Dense(64, features, 3, seed: 1), new CpuEngineOptions(Threads: 2));
        Assert.True(engine.MaxChunks >= 2, $"two threads should get at least two chunks, got {engine.MaxChunks}");
        foreach (int parts in new[] { 1, 2 })
        {
            int chunks = engine.Chunks(rows, parts);
            Assert.InRange(chunks, 1, engine.MaxChunks);
            if (parts == 1) Assert.Equal(1, chunks);
            int next = 0;
            for (int i = 0; i < chunks; i++)
            {
                var (start, count) = engine.Chunk(rows, chunks, i);
                Assert.Equal(next, start);
                if (rows > 0) Assert.True(count >= Math.Min(rows, 64) / 2, $"chunk {i} of {chunks} over {rows} rows has {count}");
                if (rows >= chunks * engine.BlockRows && i > 0) Assert.Equal(0, start % engine.BlockRows);
                next = start + count;
            }
            Assert.Equal(rows, next);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Variants))]
    public void More_threads_than_cores_give_the_reference_values_and_the_same_bits_every_time(KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        // Four threads on a 2-core machine take the chunks in a different order from run to run.
        var data = Dense(5000, 37, 10, seed: 21);
        var theta = Theta(10, 37, seed: 22, scale: 0.1);
        var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
        var engine = new CpuSoftmaxLoss(data, new CpuEngineOptions(4, variant));
        Assert.True(engine.Chunks(data.Rows, 4) > 4, "the pass should be cut into more chunks than threads");
        var (f1, g1) = Evaluate(engine, theta);
        Assert.True(Relative(f1, fRef) <= 1e-5 && RelativeInf(g1, gRef) <= 1e-5,
            $"F {Relative(f1, fRef):E2}, gradient {RelativeInf(g1, gRef):E2}");
        for (int run = 0; run < 20; run++)
        {
            var (f2, g2) = Evaluate(engine, theta);
            Assert.Equal(f1, f2);
            Assert.Equal(g1, g2);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Variants))]
    public void An_empty_row_set_after_a_full_pass_gives_zero_sums(KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        // A chunk's slot is written, not cleared and added to, by its first widening: with no rows there is none, and
        // the previous pass's sums must not show through.
        var data = Dense(3000, 64, 10, seed: 23);
        var theta = Theta(10, 64, seed: 24);
        foreach (int threads in new[] { 1, 2 })
        {
            var engine = new CpuSoftmaxLoss(data, new CpuEngineOptions(threads, variant));
            var sums = new double[theta.Length];
            var full = engine.Accumulate(theta, sums, RowSet.Range(0, data.Rows));
            Assert.True(full.Weight > 0 && sums.Any(v => v != 0));
            Array.Clear(sums);
            var none = engine.Accumulate(theta, sums, RowSet.Range(0, 0));
            Assert.Equal(0, none.Weight);
            Assert.Equal(0, none.Loss);
            Assert.All(sums, v => Assert.Equal(0, v));
        }
    }

    public static TheoryData<KernelVariant> Variants() => new(AllVariants);
}

using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Streaming;

/// <summary>
/// Mini-batches over a <see cref="BlockStream"/>, read in blocks instead of random rows: the plan of a
/// <see cref="MiniBatchSolver"/> over a streamed file.
/// <para>Order, reproducible from the seed: epoch e permutes the block indices with
/// <c>Random(<see cref="MiniBatchOptions.EpochSeed"/>(e))</c>; the k-th block visited in that epoch permutes its rows
/// with <c>Random(EpochSeed(e) + 1 + k)</c> (or draws them with replacement), and is cut into consecutive batches. A
/// batch never spans two blocks, so each block's last batch may be short. Nothing depends on the thread count or on
/// timing, so the same seed, block size and data give the same batches.</para>
/// <para>Compared with a global shuffle this keeps reads sequential per block; with blocks much smaller than the
/// data the batches are close to uniformly mixed. Rows of one class stored together stay correlated within a
/// block: shuffle the rows once when packing such data.</para>
/// </summary>
public sealed class BlockBatchPlan(BlockStream blocks) : IBatchPlan
{
    private SoftmaxObjective? _objective;
    private MiniBatchOptions _options = new();
    private readonly BlockStream _blocks = blocks ?? throw new ArgumentNullException(nameof(blocks));
    private readonly int[] _rows = new int[blocks.BlockRows];

    /// <inheritdoc />
    public string Prefix => "";

    /// <summary>The block order of epoch <paramref name="epoch"/> over <paramref name="blocks"/> blocks.</summary>
    public static int[] BlockOrder(MiniBatchOptions options, int blocks, int epoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        var order = Enumerable.Range(0, blocks).ToArray();
        new Random(options.EpochSeed(epoch)).Shuffle(order);
        return order;
    }

    /// <inheritdoc />
    public int Begin(SoftmaxObjective objective, MiniBatchOptions options, IUpdateRule rule)
    {
        ArgumentNullException.ThrowIfNull(objective);
        if (objective.AllReduce is not null) throw new NotSupportedException("Synchronous distributed mini-batches need equal batch counts on every worker; use L-BFGS for --distributed.");
        if (objective.Loss.Rows != _blocks.Rows) throw new ArgumentException($"The objective has {objective.Loss.Rows} rows; the stream has {_blocks.Rows}.", nameof(objective));
        if (objective.Loss.Arithmetic != Precision.Auto) _blocks.Arithmetic = objective.Loss.Arithmetic;
        _objective = objective;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        return _blocks.Rows;
    }

    /// <inheritdoc />
    public IEnumerable<MiniBatch> Epoch(int epoch)
    {
        var objective = _objective ?? throw new InvalidOperationException("Begin was not called.");
        int visited = 0, index = 0, size = _options.BatchSize;
        foreach (var block in _blocks.Read(BlockOrder(_options, _blocks.BlockCount, epoch)))
        {
            var rng = new Random(unchecked(_options.EpochSeed(epoch) + 1 + visited++));
            int n = block.Count;
            for (int i = 0; i < n; i++) _rows[i] = i;
            if (_options.Sampling == BatchSampling.Shuffle) rng.Shuffle(_rows.AsSpan(0, n));
            else for (int i = 0; i < n; i++) _rows[i] = rng.Next(n);
            // The block's own objective: same penalties.
            var local = new SoftmaxObjective(block.Loss, objective.L2, objective.L1);
            for (int start = 0; start < n; start += size)
            {
                int count = Math.Min(size, n - start);
                yield return new MiniBatch(local, RowSet.Of(_rows, start, count), count, index++);
            }
        }
    }
}

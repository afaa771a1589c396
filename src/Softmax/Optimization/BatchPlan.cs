using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>
/// One step's batch: the objective to evaluate (the whole objective, or a view of it such as one streamed block's),
/// its rows, and how many rows it stands for in the epoch's mean loss.
/// </summary>
/// <param name="Objective">What to evaluate; null for a step with no rows here that still counts (local SGD).</param>
/// <param name="Rows">The batch's rows, indexed as <paramref name="Objective"/>'s loss indexes them.</param>
/// <param name="Count">Rows the batch loss is weighted by in the epoch loss.</param>
/// <param name="Index">Position of the step in its epoch, from 0.</param>
public readonly record struct MiniBatch(SoftmaxObjective? Objective, RowSet Rows, int Count, int Index);

/// <summary>
/// Where a <see cref="MiniBatchSolver"/>'s batches come from: per epoch, the sequence of (objective view, rows)
/// batches, and hooks after each step and at the epoch's end (model averaging across workers). The update rule,
/// the L1 step, reporting, early stopping and checkpoints are the solver's, the same for every plan.
/// </summary>
public interface IBatchPlan
{
    /// <summary>Prefix of the solver's name ("" in one process; "sync-", "local-" across workers).</summary>
    string Prefix { get; }

    /// <summary>Prepares a run over <paramref name="objective"/>; returns the rows the epoch's mean loss divides by.</summary>
    int Begin(SoftmaxObjective objective, MiniBatchOptions options, IUpdateRule rule);

    /// <summary>The batches of epoch <paramref name="epoch"/> (0-based), in order; a function of the seed and epoch alone.</summary>
    IEnumerable<MiniBatch> Epoch(int epoch);

    /// <summary>After the update of <paramref name="batch"/>, the <paramref name="step"/>-th of the run (1-based). Nothing by default.</summary>
    void AfterStep(in MiniBatch batch, long step, double[] theta) { }

    /// <summary>At the epoch's end: returns the epoch's summed batch loss over all workers (<paramref name="lossSum"/> by default: one process).</summary>
    double EndEpoch(double[] theta, double lossSum) => lossSum;
}

/// <summary>
/// Batches of rows held in memory: each epoch a fresh permutation of the rows (or rows drawn with replacement) from
/// <c>Random(<see cref="MiniBatchOptions.EpochSeed"/>(epoch))</c>, cut into consecutive batches of B rows.
/// </summary>
public sealed class RowBatchPlan : IBatchPlan
{
    private SoftmaxObjective? _objective;
    private MiniBatchOptions _options = new();
    private int[] _order = [];

    /// <inheritdoc />
    public string Prefix => "";

    /// <summary>
    /// Fills <paramref name="order"/> (length n) with epoch <paramref name="epoch"/>'s row order: a permutation of
    /// 0..n−1, or n rows drawn with replacement. Every solver visiting rows in memory (CPU, GPU, synchronous workers
    /// over the global rows) takes its order from here.
    /// </summary>
    public static void Order(MiniBatchOptions options, int epoch, Span<int> order)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rng = new Random(options.EpochSeed(epoch));
        int n = order.Length;
        if (options.Sampling == BatchSampling.Shuffle)
        {
            for (int i = 0; i < n; i++) order[i] = i;
            rng.Shuffle(order);
        }
        else for (int i = 0; i < n; i++) order[i] = rng.Next(n);
    }

    /// <inheritdoc />
    public int Begin(SoftmaxObjective objective, MiniBatchOptions options, IUpdateRule rule)
    {
        _objective = objective ?? throw new ArgumentNullException(nameof(objective));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _order = new int[objective.Loss.Rows];
        return _order.Length;
    }

    /// <inheritdoc />
    public IEnumerable<MiniBatch> Epoch(int epoch)
    {
        var objective = _objective ?? throw new InvalidOperationException("Begin was not called.");
        int n = _order.Length, batch = Math.Min(_options.BatchSize, n);
        Order(_options, epoch, _order);
        for (int s = 0, start = 0; start < n; s++, start += batch)
        {
            int count = Math.Min(batch, n - start);
            yield return new MiniBatch(objective, RowSet.Of(_order, start, count), count, s);
        }
    }
}

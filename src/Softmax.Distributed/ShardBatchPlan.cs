using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Distributed;

/// <summary>
/// Synchronous mini-batches over MPI ranks, each holding a contiguous slice of the global rows (global rows
/// <c>offset .. offset + Loss.Rows − 1</c>; the objective's loss indexes them locally from 0): the plan of a
/// <see cref="MiniBatchSolver"/> under <c>--distributed</c> with <c>--average-every 0</c>.
/// <para>Epoch e orders the <i>global</i> rows 0..N−1 as the in-memory plan does
/// (<see cref="RowBatchPlan.Order"/>), identically on every rank, and cuts that order into ⌈N/B⌉ global batches of
/// B rows. At each step every rank evaluates the rows of the batch that it holds (possibly none: an empty set
/// contributes zero sums) and the objective's one Allreduce adds [gradient sums, loss sum, weight sum]; every rank
/// then takes the identical step, so θ stays bit-identical across ranks and the number of steps (allreduces) per
/// epoch is ⌈N/B⌉ on every rank. This is the same algorithm as one process running over all N rows with the same
/// batches; only the order of the floating-point sums differs.</para>
/// </summary>
/// <param name="globalOffset">Index of this rank's first row among all ranks' rows.</param>
/// <param name="totalRows">N, rows over all ranks.</param>
public sealed class ShardBatchPlan(int globalOffset, int totalRows) : IBatchPlan
{
    private SoftmaxObjective? _objective;
    private MiniBatchOptions _options = new();
    private int[] _order = [], _local = [];

    /// <inheritdoc />
    public string Prefix => "sync-";

    /// <summary>
    /// This rank's rows, those of <paramref name="objective"/>'s loss, checked to lie among the <paramref name="totalRows"/>
    /// global rows from <paramref name="globalOffset"/> on.
    /// </summary>
    internal static int LocalRows(SoftmaxObjective objective, int globalOffset, int totalRows)
    {
        ArgumentNullException.ThrowIfNull(objective);
        if (totalRows < 1) throw new ArgumentOutOfRangeException(nameof(totalRows), "There are no rows to train on.");
        int n = objective.Loss.Rows;
        if (globalOffset < 0 || (long)globalOffset + n > totalRows)
            throw new ArgumentException($"Rows {globalOffset}..{globalOffset + n - 1} exceed the {totalRows} global rows.", nameof(objective));
        return n;
    }

    /// <inheritdoc />
    public int Begin(SoftmaxObjective objective, MiniBatchOptions options, IUpdateRule rule)
    {
        int n = LocalRows(objective, globalOffset, totalRows);
        _objective = objective;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _order = new int[totalRows];
        _local = new int[Math.Max(1, Math.Min(Math.Min(options.BatchSize, totalRows), n))];
        return totalRows;
    }

    /// <inheritdoc />
    public IEnumerable<MiniBatch> Epoch(int epoch)
    {
        var objective = _objective ?? throw new InvalidOperationException("Begin was not called.");
        int N = totalRows, B = Math.Min(_options.BatchSize, N), n = objective.Loss.Rows;
        RowBatchPlan.Order(_options, epoch, _order);
        for (int s = 0, start = 0; start < N; s++, start += B)
        {
            int count = Math.Min(B, N - start), mine = 0;
            // This rank's rows of the global batch, in batch order, as local indices.
            for (int i = start; i < start + count; i++)
            {
                int g = _order[i] - globalOffset;
                if ((uint)g < (uint)n) _local[mine++] = g;
            }
            var rows = mine == 0 ? RowSet.Range(0, 0) : RowSet.Of(_local, 0, mine);
            yield return new MiniBatch(objective, rows, count, s);
        }
    }
}

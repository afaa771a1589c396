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
public sealed class ShardBatchPlan : IBatchPlan
{
    private SoftmaxObjective? _objective;
    private MiniBatchOptions _options = new();
    private int[] _order = [], _local = [];

    /// <summary>Creates the plan for this rank's slice of the global rows.</summary>
    /// <param name="globalOffset">Index of this rank's first row among all ranks' rows.</param>
    /// <param name="totalRows">N, rows over all ranks.</param>
    public ShardBatchPlan(int globalOffset, int totalRows)
    {
        if (totalRows < 1) throw new ArgumentOutOfRangeException(nameof(totalRows), "There are no rows to train on.");
        if (globalOffset < 0 || globalOffset > totalRows) throw new ArgumentOutOfRangeException(nameof(globalOffset));
        GlobalOffset = globalOffset;
        TotalRows = totalRows;
    }

    /// <summary>Index of this rank's first row among all rows.</summary>
    public int GlobalOffset { get; }

    /// <summary>N.</summary>
    public int TotalRows { get; }

    /// <inheritdoc />
    public string Prefix => "sync-";

    /// <summary>Steps in every epoch on every rank with batches of <paramref name="batchSize"/> global rows: ⌈N / B⌉.</summary>
    public int StepsPerEpoch(int batchSize) => StepsPerEpoch(TotalRows, batchSize);

    internal static int StepsPerEpoch(int rows, int batchSize)
    {
        int b = Math.Min(batchSize, rows);
        return (rows + b - 1) / b;
    }

    /// <summary>The global row order of epoch <paramref name="epoch"/>, the same on every rank.</summary>
    public int[] GlobalOrder(MiniBatchOptions options, int epoch)
    {
        var order = new int[TotalRows];
        RowBatchPlan.Order(options, epoch, order);
        return order;
    }

    /// <inheritdoc />
    public int Begin(SoftmaxObjective objective, MiniBatchOptions options, IUpdateRule rule)
    {
        ArgumentNullException.ThrowIfNull(objective);
        int n = objective.Loss.Rows;
        if ((long)GlobalOffset + n > TotalRows) throw new ArgumentException($"Rows {GlobalOffset}..{GlobalOffset + n - 1} exceed the {TotalRows} global rows.", nameof(objective));
        _objective = objective;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _order = new int[TotalRows];
        _local = new int[Math.Max(1, Math.Min(Math.Min(options.BatchSize, TotalRows), n))];
        return TotalRows;
    }

    /// <inheritdoc />
    public IEnumerable<MiniBatch> Epoch(int epoch)
    {
        var objective = _objective ?? throw new InvalidOperationException("Begin was not called.");
        int N = TotalRows, B = Math.Min(_options.BatchSize, N), n = objective.Loss.Rows;
        RowBatchPlan.Order(_options, epoch, _order);
        for (int s = 0, start = 0; start < N; s++, start += B)
        {
            int count = Math.Min(B, N - start), mine = 0;
            // This rank's rows of the global batch, in batch order, as local indices.
            for (int i = start; i < start + count; i++)
            {
                int g = _order[i] - GlobalOffset;
                if ((uint)g < (uint)n) _local[mine++] = g;
            }
            var rows = mine == 0 ? RowSet.Range(0, 0) : RowSet.Of(_local, 0, mine);
            yield return new MiniBatch(objective, rows, count, s);
        }
    }
}

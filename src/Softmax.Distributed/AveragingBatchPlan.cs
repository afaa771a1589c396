using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Distributed;

/// <summary>
/// Local SGD with model averaging over MPI ranks (<c>--average-every K &gt; 0</c>), the plan of a
/// <see cref="MiniBatchSolver"/>: each rank orders its own rows with <c>Random(EpochSeed(e) + 1 + global offset)</c>
/// and, at step s of the epoch's ⌈N/B⌉ steps, takes local rows ⌊s·n/S⌋ .. ⌊(s+1)·n/S⌋−1 (about B/ranks rows: the
/// same rows per step in total as the synchronous mode), with no communication. Every K steps, and at the end of every
/// epoch, one Allreduce averages θ <i>and the update rule's buffers</i> (momentum velocity, Adam's moments) over the
/// ranks. The buffers are averaged, not reset: resetting would restart momentum (and Adam's bias correction would not
/// know it), a transient every K steps; averaging them costs a larger message (2× for momentum, 3× for Adam) but
/// keeps 1 rank identical to plain SGD. After the last averaging every rank holds the same θ, bit for bit.
/// </summary>
/// <param name="globalOffset">Index of this rank's first row among all ranks' rows (keys its row order).</param>
/// <param name="totalRows">N, rows over all ranks.</param>
/// <param name="averageEvery">K: steps between model averages.</param>
public sealed class AveragingBatchPlan(int globalOffset, int totalRows, int averageEvery) : IBatchPlan
{
    private readonly int _averageEvery = averageEvery >= 1 ? averageEvery
        : throw new ArgumentOutOfRangeException(nameof(averageEvery), "--average-every must be ≥ 1 for local SGD (0: synchronous).");
    private SoftmaxObjective? _own;
    private IAllReduce? _allReduce;
    private MiniBatchOptions _options = new();
    private IReadOnlyList<double[]> _buffers = [];
    private int[] _order = [];
    private double[] _message = [];
    private int _steps;

    /// <summary>Model averages done since the last <see cref="Begin"/>.</summary>
    public long Averages { get; private set; }

    /// <inheritdoc />
    public string Prefix => "local-";

    /// <inheritdoc />
    public int Begin(SoftmaxObjective objective, MiniBatchOptions options, IUpdateRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        int n = ShardBatchPlan.LocalRows(objective, globalOffset, totalRows);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        // Steps use this rank's rows alone; the averages use the objective's allreduce.
        _own = new SoftmaxObjective(objective.Loss, objective.L2, objective.L1);
        _allReduce = objective.AllReduce;
        _buffers = rule.State;
        _order = new int[Math.Max(1, n)];
        int b = Math.Min(options.BatchSize, totalRows);
        _steps = (totalRows + b - 1) / b;   // ⌈N/B⌉ on every rank, as the synchronous plan
        // [θ, rule buffers..., loss sum, 1]: the last slot counts the ranks.
        _message = new double[objective.Dimension * (1 + _buffers.Count) + 2];
        Averages = 0;
        return totalRows;
    }

    /// <inheritdoc />
    public IEnumerable<MiniBatch> Epoch(int epoch)
    {
        var own = _own ?? throw new InvalidOperationException("Begin was not called.");
        int n = own.Loss.Rows, S = _steps;
        // A different stream per rank (its global offset keys it), reproducible from the seed.
        var rng = new Random(unchecked(_options.EpochSeed(epoch) + 1 + globalOffset));
        for (int i = 0; i < n; i++) _order[i] = i;
        if (_options.Sampling == BatchSampling.Shuffle) rng.Shuffle(_order.AsSpan(0, n));
        else for (int i = 0; i < n; i++) _order[i] = rng.Next(n);
        for (int s = 0; s < S; s++)
        {
            int start = (int)((long)n * s / S), count = (int)((long)n * (s + 1) / S) - start;
            yield return count > 0 ? new MiniBatch(own, RowSet.Of(_order, start, count), count, s) : new MiniBatch(null, RowSet.Range(0, 0), 0, s);
        }
    }

    /// <inheritdoc />
    public void AfterStep(in MiniBatch batch, long step, double[] theta)
    {
        if (batch.Index < _steps - 1 && step % _averageEvery == 0) Average(theta, 0);
    }

    /// <inheritdoc />
    public double EndEpoch(double[] theta, double lossSum) => Average(theta, lossSum);

    /// <summary>One allreduce: θ and the buffers become their mean over the ranks; returns the sum of <paramref name="lossSum"/>.</summary>
    private double Average(double[] theta, double lossSum)
    {
        int dim = theta.Length;
        var message = _message;
        theta.CopyTo(message, 0);
        for (int b = 0; b < _buffers.Count; b++) _buffers[b].CopyTo(message, dim * (b + 1));
        message[^2] = lossSum;
        message[^1] = 1;
        _allReduce?.SumInPlace(message);
        double inverse = 1 / message[^1];
        for (int i = 0; i < dim; i++) theta[i] = message[i] * inverse;
        for (int b = 0; b < _buffers.Count; b++)
        {
            var buffer = _buffers[b];
            for (int i = 0; i < dim; i++) buffer[i] = message[dim * (b + 1) + i] * inverse;
        }
        Averages++;
        return message[^2];
    }
}

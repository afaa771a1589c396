using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Distributed;

/// <summary>
/// SGD or Adam over MPI ranks, each holding a contiguous slice of the global rows (global rows
/// <c>offset .. offset + Loss.Rows − 1</c>; the objective's loss indexes them locally from 0). Two modes:
/// <list type="bullet">
/// <item><b>Synchronous</b> (<c>averageEvery = 0</c>): epoch e permutes the <i>global</i> row indices 0..N−1 with
/// <c>Random(seed·1000003 + e·7919 + 17)</c> (the in-memory solver's seed formula), identically on every rank, and cuts
/// the permutation into ⌈N/B⌉ global batches of B rows. At each step every rank evaluates the rows of the batch that
/// it holds (possibly none: an empty set contributes zero sums) and the objective's one Allreduce adds
/// [gradient sums, loss sum, weight sum]; every rank then takes the identical step, so θ stays bit-identical across
/// ranks and the number of steps (allreduces) per epoch is ⌈N/B⌉ on every rank. This is the same algorithm as
/// one process running over all N rows with the same batches; only the order of the floating-point sums differs.</item>
/// <item><b>Local SGD with model averaging</b> (<c>averageEvery = K &gt; 0</c>): each rank permutes its own rows
/// with <c>Random(seed·1000003 + e·7919 + 17 + 1 + rank-offset)</c> and, at step s of the epoch's ⌈N/B⌉ steps,
/// takes local rows ⌊s·n/S⌋ .. ⌊(s+1)·n/S⌋−1 (about B/ranks rows: the same rows per step in total as the
/// synchronous mode), with no communication. Every K steps, and at the end of every epoch, one Allreduce averages θ
/// <i>and the update rule's buffers</i> (momentum velocity, Adam's moments) over the ranks. The buffers are averaged,
/// not reset: resetting would restart momentum (and Adam's bias correction would not know it), a transient every K
/// steps; averaging them costs a larger message (2× for momentum, 3× for Adam) but keeps 1 rank identical to plain
/// SGD. After the last averaging every rank holds the same θ, bit for bit.</item>
/// </list>
/// </summary>
public sealed class DistributedMiniBatchSolver : ISolver
{
    /// <summary>Creates the solver for this rank's slice of the global rows.</summary>
    /// <param name="rule">The update (SGD, momentum, Adam).</param>
    /// <param name="options">Batch size B (global rows per step), epochs, rate, schedule, seed.</param>
    /// <param name="globalOffset">Index of this rank's first row among all ranks' rows.</param>
    /// <param name="totalRows">N, rows over all ranks.</param>
    /// <param name="averageEvery">0: synchronous mini-batches; K &gt; 0: local steps, θ averaged every K steps.</param>
    public DistributedMiniBatchSolver(IUpdateRule rule, MiniBatchOptions options, int globalOffset, int totalRows, int averageEvery = 0)
    {
        Rule = rule ?? throw new ArgumentNullException(nameof(rule));
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (totalRows < 1) throw new ArgumentOutOfRangeException(nameof(totalRows), "There are no rows to train on.");
        if (globalOffset < 0 || globalOffset > totalRows) throw new ArgumentOutOfRangeException(nameof(globalOffset));
        if (averageEvery < 0) throw new ArgumentOutOfRangeException(nameof(averageEvery), "--average-every must be ≥ 0 (0: synchronous).");
        GlobalOffset = globalOffset;
        TotalRows = totalRows;
        AverageEvery = averageEvery;
    }

    /// <summary>The update.</summary>
    public IUpdateRule Rule { get; }

    /// <summary>Batch settings; <see cref="MiniBatchOptions.BatchSize"/> is the global batch.</summary>
    public MiniBatchOptions Options { get; }

    /// <summary>Index of this rank's first row among all rows.</summary>
    public int GlobalOffset { get; }

    /// <summary>N.</summary>
    public int TotalRows { get; }

    /// <summary>0 for synchronous mini-batches, else the steps between model averages.</summary>
    public int AverageEvery { get; }

    /// <summary>Model averages done by the last <see cref="Minimize"/> (local SGD).</summary>
    public long Averages { get; private set; }

    /// <inheritdoc />
    public string Name => (AverageEvery > 0 ? "local-" : "sync-") + Rule.Name;

    /// <summary>Steps in every epoch on every rank: ⌈N / B⌉.</summary>
    public int StepsPerEpoch => (TotalRows + Math.Min(Options.BatchSize, TotalRows) - 1) / Math.Min(Options.BatchSize, TotalRows);


    /// <summary>The global row order of epoch <paramref name="epoch"/> (synchronous mode, shuffled sampling).</summary>
    public int[] GlobalOrder(int epoch)
    {
        var order = new int[TotalRows];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Random(Options.EpochSeed(epoch)).Shuffle(order);
        return order;
    }

    /// <inheritdoc />
    public SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(theta0);
        ArgumentNullException.ThrowIfNull(context);
        MiniBatchStep.UseArithmetic(objective.Loss, context.Precision);
        if (context.ResumeFrom is not null) throw new NotSupportedException("Distributed mini-batch training does not resume from checkpoints.");
        int n = objective.Loss.Rows;
        if ((long)GlobalOffset + n > TotalRows) throw new ArgumentException($"Rows {GlobalOffset}..{GlobalOffset + n - 1} exceed the {TotalRows} global rows.", nameof(objective));
        var theta = (double[])theta0.Clone();
        var grad = new double[theta.Length];
        Rule.Reset(theta.Length);
        Averages = 0;
        return AverageEvery == 0
            ? Synchronous(objective, theta, grad, context)
            : Local(objective, theta, grad, context);
    }

    private SolverResult Synchronous(SoftmaxObjective objective, double[] theta, double[] grad, SolverContext context)
    {
        int N = TotalRows, B = Math.Min(Options.BatchSize, N), S = StepsPerEpoch, n = objective.Loss.Rows;
        var order = new int[N];
        var local = new int[Math.Max(1, Math.Min(B, n))];
        long step = 0;
        int epoch = 0, evaluations = 0;
        double lastLoss = double.NaN;
        var reason = StopReason.EpochsCompleted;
        for (; epoch < Options.Epochs; epoch++)
        {
            // Cancellation is not a collective decision: a rank that stopped alone would leave the others in the
            // allreduce. The watchdog bounds that; the CLI cancels every rank together (Ctrl+C reaches the job).
            if (context.CancellationToken.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            var rng = new Random(Options.EpochSeed(epoch));
            if (Options.Sampling == BatchSampling.Shuffle)
            {
                for (int i = 0; i < N; i++) order[i] = i;
                rng.Shuffle(order);
            }
            double rate = Options.Schedule.Rate(Options.LearningRate, epoch, Options.Epochs);
            double sum = 0;
            for (int s = 0; s < S; s++)
            {
                int start = s * B, count = Math.Min(B, N - start);
                if (Options.Sampling == BatchSampling.WithReplacement)
                    for (int i = 0; i < count; i++) order[start + i] = rng.Next(N);
                // This rank's rows of the global batch, in batch order, as local indices.
                int mine = 0;
                for (int i = start; i < start + count; i++)
                {
                    int g = order[i] - GlobalOffset;
                    if ((uint)g < (uint)n) local[mine++] = g;
                }
                var rows = mine == 0 ? RowSet.Range(0, 0) : RowSet.Of(local, 0, mine);
                double value = objective.ValueAndGradient(theta, grad, rows);
                evaluations++;
                MiniBatchStep.CheckLoss(Name, value, epoch + 1, s + 1, rate);
                sum += value * count;
                Rule.Step(theta, grad, rate, ++step);
                MiniBatchStep.ApplyL1(objective, theta, rate);
            }
            lastLoss = sum / N;
            if (context.Report(Name, (int)step, epoch + 1, lastLoss, double.NaN, theta, Options.Epochs))
            {
                reason = StopReason.EarlyStopping;
                epoch++;
                break;
            }
        }
        return context.Result(Name, theta, lastLoss, (int)step, epoch, evaluations, reason);
    }

    private SolverResult Local(SoftmaxObjective objective, double[] theta, double[] grad, SolverContext context)
    {
        var allReduce = objective.AllReduce;
        // Steps use this rank's rows alone; the averages use the objective's allreduce.
        var own = new SoftmaxObjective(objective.Loss, objective.L2, objective.L1);
        int N = TotalRows, S = StepsPerEpoch, n = objective.Loss.Rows;
        var order = new int[Math.Max(1, n)];
        var buffers = Rule.State;
        int dim = theta.Length;
        // [θ, rule buffers..., loss sum, 1]: the last slot counts the ranks.
        var message = new double[dim * (1 + buffers.Count) + 2];
        long step = 0;
        int epoch = 0, evaluations = 0;
        double lastLoss = double.NaN;
        var reason = StopReason.EpochsCompleted;
        for (; epoch < Options.Epochs; epoch++)
        {
            if (context.CancellationToken.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            // A different stream per rank (its global offset keys it), reproducible from the seed.
            var rng = new Random(unchecked(Options.EpochSeed(epoch) + 1 + GlobalOffset));
            for (int i = 0; i < n; i++) order[i] = i;
            if (Options.Sampling == BatchSampling.Shuffle) rng.Shuffle(order.AsSpan(0, n));
            else for (int i = 0; i < n; i++) order[i] = rng.Next(n);
            double rate = Options.Schedule.Rate(Options.LearningRate, epoch, Options.Epochs);
            double sum = 0;
            for (int s = 0; s < S; s++)
            {
                int start = (int)((long)n * s / S), count = (int)((long)n * (s + 1) / S) - start;
                step++;
                if (count > 0)
                {
                    double value = own.ValueAndGradient(theta, grad, RowSet.Of(order, start, count));
                    evaluations++;
                    MiniBatchStep.CheckLoss(Name, value, epoch + 1, s + 1, rate);
                    sum += value * count;
                    Rule.Step(theta, grad, rate, step);
                    MiniBatchStep.ApplyL1(objective, theta, rate);
                }
                bool last = s == S - 1;
                if (last) sum = Average(allReduce, theta, buffers, message, sum);
                else if (step % AverageEvery == 0) Average(allReduce, theta, buffers, message, 0);
            }
            lastLoss = sum / N;
            if (context.Report(Name, (int)step, epoch + 1, lastLoss, double.NaN, theta, Options.Epochs))
            {
                reason = StopReason.EarlyStopping;
                epoch++;
                break;
            }
        }
        return context.Result(Name, theta, lastLoss, (int)step, epoch, evaluations, reason);
    }

    /// <summary>One allreduce: θ and the buffers become their mean over the ranks; returns the sum of <paramref name="lossSum"/>.</summary>
    private double Average(IAllReduce? allReduce, double[] theta, IReadOnlyList<double[]> buffers, double[] message, double lossSum)
    {
        int dim = theta.Length;
        theta.CopyTo(message, 0);
        for (int b = 0; b < buffers.Count; b++) buffers[b].CopyTo(message, dim * (b + 1));
        message[^2] = lossSum;
        message[^1] = 1;
        allReduce?.SumInPlace(message);
        double inverse = 1 / message[^1];
        for (int i = 0; i < dim; i++) theta[i] = message[i] * inverse;
        for (int b = 0; b < buffers.Count; b++)
        {
            var buffer = buffers[b];
            for (int i = 0; i < dim; i++) buffer[i] = message[dim * (b + 1) + i] * inverse;
        }
        Averages++;
        return message[^2];
    }
}

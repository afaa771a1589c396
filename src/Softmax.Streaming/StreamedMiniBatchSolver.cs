using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Streaming;

/// <summary>
/// SGD or Adam over a <see cref="StreamingSoftmaxLoss"/>, reading the data in blocks instead of random rows.
/// <para>Order, reproducible from the seed: epoch e permutes the block indices with
/// <c>Random(seed·1000003 + e·7919 + 17)</c> (the seed formula of the in-memory solver); block k of that epoch
/// permutes its rows with <c>Random(seed·1000003 + e·7919 + 17 + 1 + k)</c> (or draws them with replacement), and is
/// cut into consecutive batches. A batch never spans two blocks, so each block's last batch may be short. Nothing
/// depends on the thread count or on timing, so the same seed, block size and data give the same batches.</para>
/// <para>Compared with a global shuffle this keeps reads sequential per block; with blocks much smaller than the
/// data the batches are close to uniformly mixed. Rows of one class stored together stay correlated within a
/// block: shuffle the rows once when packing such data.</para>
/// <para>Checkpoints, validation and early stopping are not offered here.</para>
/// </summary>
public sealed class StreamedMiniBatchSolver(IUpdateRule rule, MiniBatchOptions options) : ISolver
{
    /// <summary>The update.</summary>
    public IUpdateRule Rule { get; } = rule ?? throw new ArgumentNullException(nameof(rule));

    /// <summary>Batch settings.</summary>
    public MiniBatchOptions Options { get; } = (options ?? throw new ArgumentNullException(nameof(options))).Validate();

    /// <inheritdoc />
    public string Name => Rule.Name;

    /// <summary>The block order of epoch <paramref name="epoch"/>.</summary>
    public int[] BlockOrder(int blocks, int epoch)
    {
        var order = Enumerable.Range(0, blocks).ToArray();
        new Random(Options.EpochSeed(epoch)).Shuffle(order);
        return order;
    }


    /// <inheritdoc />
    public SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(context);
        MiniBatchStep.UseArithmetic(objective.Loss, context.Precision);
        if (objective.Loss is not StreamingSoftmaxLoss streaming) throw new ArgumentException("The streamed solver needs a StreamingSoftmaxLoss objective.", nameof(objective));
        if (context.ResumeFrom is not null) throw new NotSupportedException("The streamed solver does not resume from checkpoints.");
        if (objective.AllReduce is not null) throw new NotSupportedException("Synchronous distributed mini-batches need equal batch counts on every worker; use L-BFGS for --distributed.");
        var blocks = streaming.Blocks;
        var theta = (double[])theta0.Clone();
        var grad = new double[theta.Length];
        var rows = new int[blocks.BlockRows];
        Rule.Reset(theta.Length);
        long step = 0;
        int epoch = 0, evaluations = 0;
        double lastLoss = double.NaN;
        var reason = StopReason.EpochsCompleted;
        for (; epoch < Options.Epochs; epoch++)
        {
            if (context.CancellationToken.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            double rate = Options.Schedule.Rate(Options.LearningRate, epoch, Options.Epochs);
            double sum = 0;
            int e = epoch, visited = 0;
            blocks.ForEach(BlockOrder(blocks.BlockCount, epoch), block =>
            {
                var rng = new Random(unchecked(Options.EpochSeed(e) + 1 + visited++));
                int n = block.Count;
                for (int i = 0; i < n; i++) rows[i] = i;
                if (Options.Sampling == BatchSampling.Shuffle) rng.Shuffle(rows.AsSpan(0, n));
                else for (int i = 0; i < n; i++) rows[i] = rng.Next(n);
                // The block's own objective: same penalties, same cross-worker sum.
                var local = new SoftmaxObjective(block.Loss, objective.L2, objective.L1, objective.AllReduce);
                for (int start = 0; start < n; start += Options.BatchSize)
                {
                    int count = Math.Min(Options.BatchSize, n - start);
                    double value = local.ValueAndGradient(theta, grad, RowSet.Of(rows, start, count));
                    evaluations++;
                    MiniBatchStep.CheckLoss(Name, value, e + 1, step + 1, rate);
                    sum += value * count;
                    Rule.Step(theta, grad, rate, ++step);
                    MiniBatchStep.ApplyL1(objective, theta, rate);
                }
            });
            lastLoss = sum / blocks.Rows;
            if (context.Report(Name, (int)step, epoch + 1, lastLoss, double.NaN, theta, Options.Epochs))
            {
                reason = StopReason.EarlyStopping;
                epoch++;
                break;
            }
        }
        return context.Result(Name, theta, lastLoss, (int)step, epoch, evaluations, reason);
    }
}

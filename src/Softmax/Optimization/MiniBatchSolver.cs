using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>
/// The loop shared by SGD and Adam: draws batches, evaluates F and its gradient on each, lets the subclass
/// update θ, applies the L1 proximal step (soft-thresholding of W), and reports once per epoch.
/// </summary>
public abstract class MiniBatchSolver : ISolver
{
    /// <summary>Creates the solver.</summary>
    protected MiniBatchSolver(MiniBatchOptions options) => Options = options.Validate();

    /// <summary>Batch settings.</summary>
    public MiniBatchOptions Options { get; }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>Prepares per-run state for a parameter vector of length <paramref name="dimension"/>.</summary>
    protected abstract void Reset(int dimension);

    /// <summary>The solver's own vectors (velocity, moments), for checkpoints.</summary>
    protected abstract double[][] StateBuffers { get; }

    /// <summary>Updates θ in place from the batch gradient at step <paramref name="step"/> (1-based) with rate η.</summary>
    protected abstract void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step);

    /// <inheritdoc />
    public SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(context);
        MiniBatchStep.UseArithmetic(objective.Loss, context.Precision);
        var theta = (double[])theta0.Clone();
        var grad = new double[theta.Length];
        int n = objective.Loss.Rows, batch = Math.Min(Options.BatchSize, n);
        var order = new int[n];
        Reset(theta.Length);
        long step = 0;
        int epoch = 0, evaluations = 0;
        if (context.ResumeFrom is { } state)
        {
            if (state.Solver != Name) throw new ArgumentException($"The checkpoint was written by {state.Solver}, not {Name}.");
            state.Buffers[0].CopyTo(theta, 0);
            for (int b = 0; b < StateBuffers.Length; b++) state.Buffers[b + 1].CopyTo(StateBuffers[b], 0);
            step = state.Iteration;
            epoch = state.Epoch;
            context.Restore(state);
        }
        var reason = StopReason.EpochsCompleted;
        double lastLoss = double.NaN;
        int stepsPerEpoch = (n + batch - 1) / batch;
        for (; epoch < Options.Epochs; epoch++)
        {
            if (context.CancellationToken.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            // Each epoch's order depends only on (seed, epoch), so a resumed run draws the same batches.
            var rng = new Random(Options.EpochSeed(epoch));
            if (Options.Sampling == BatchSampling.Shuffle)
            {
                for (int i = 0; i < n; i++) order[i] = i;
                rng.Shuffle(order);
            }
            double rate = Options.Schedule.Rate(Options.LearningRate, epoch, Options.Epochs);
            double sum = 0;
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                int start = s * batch, count = Math.Min(batch, n - start);
                RowSet rows;
                if (Options.Sampling == BatchSampling.Shuffle) rows = RowSet.Of(order, start, count);
                else
                {
                    for (int i = 0; i < count; i++) order[i] = rng.Next(n);
                    rows = RowSet.Of(order, 0, count);
                }
                double value = objective.ValueAndGradient(theta, grad, rows);
                evaluations++;
                MiniBatchStep.CheckLoss(Name, value, epoch + 1, s + 1, rate);
                sum += value * count;
                Step(theta, grad, rate, ++step);
                MiniBatchStep.ApplyL1(objective, theta, rate);
            }
            lastLoss = sum / n;
            bool stop = context.Report(Name, (int)step, epoch + 1, lastLoss, double.NaN, theta, Options.Epochs);
            int done = epoch + 1;
            long stepsDone = step;
            context.MaybeCheckpoint(done, () => new SolverState(Name, (int)stepsDone, done,
                [(double[])theta.Clone(), .. StateBuffers.Select(b => (double[])b.Clone())], [], context.History.ToArray()));
            if (stop)
            {
                reason = StopReason.EarlyStopping;
                epoch++;
                break;
            }
        }
        return context.Result(Name, theta, lastLoss, (int)step, epoch, evaluations, reason);
    }
}

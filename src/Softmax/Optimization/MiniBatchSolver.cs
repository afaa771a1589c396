using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>
/// The one mini-batch loop, whatever the rows' home: an update rule (<see cref="SgdRule"/>, <see cref="AdamRule"/>)
/// over the batches of a plan (<see cref="RowBatchPlan"/> in memory, streamed blocks, shards of workers). Per
/// batch it evaluates F and its gradient, steps, applies the L1 proximal step (soft-thresholding of W); per epoch it
/// reports (validation, early stopping) and checkpoints, and it resumes bit-identically from a checkpoint.
/// </summary>
public class MiniBatchSolver : ISolver
{
    /// <summary>Creates the solver; the plan defaults to rows in memory.</summary>
    public MiniBatchSolver(IUpdateRule rule, MiniBatchOptions options, IBatchPlan? plan = null)
    {
        Rule = rule ?? throw new ArgumentNullException(nameof(rule));
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        Plan = plan ?? new RowBatchPlan();
    }

    /// <summary>Batch settings.</summary>
    public MiniBatchOptions Options { get; }

    /// <summary>The update.</summary>
    public IUpdateRule Rule { get; }

    /// <summary>Where the batches come from.</summary>
    public IBatchPlan Plan { get; }

    /// <inheritdoc />
    public string Name => Plan.Prefix + Rule.Name;

    /// <inheritdoc />
    public SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(theta0);
        ArgumentNullException.ThrowIfNull(context);
        // Float32 unless float64 is asked for: the batch gradient's sampling noise is far above float32 rounding.
        context.SetArithmetic(objective.Loss, autoFloat64: false);
        var theta = (double[])theta0.Clone();
        Rule.Reset(theta.Length);
        int rows = Plan.Begin(objective, Options, Rule);
        var run = new Run(theta, new double[theta.Length]);
        if (context.ResumeFrom is { } state) Resume(state, run, context);
        var reason = StopReason.EpochsCompleted;
        double lastLoss = double.NaN;
        for (; run.Epoch < Options.Epochs; run.Epoch++)
        {
            if (context.CancellationToken.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            lastLoss = RunEpoch(objective, run) / rows;
            bool stop = context.Report(Name, (int)run.Step, run.Epoch + 1, run.Evaluations, lastLoss, double.NaN, theta, Options.Epochs);
            Checkpoint(context, run);
            if (stop)
            {
                reason = StopReason.EarlyStopping;
                run.Epoch++;
                break;
            }
        }
        return context.Result(Name, theta, lastLoss, (int)run.Step, run.Epoch, run.Evaluations, reason);
    }

    private sealed class Run(double[] theta, double[] gradient)
    {
        public readonly double[] Theta = theta, Gradient = gradient;
        public long Step;
        public int Epoch, Evaluations;
    }

    /// <summary>One epoch of steps; returns the epoch's summed batch loss (each batch's F times its rows).</summary>
    private double RunEpoch(SoftmaxObjective objective, Run run)
    {
        double rate = Options.Schedule.Rate(Options.LearningRate, run.Epoch, Options.Epochs);
        double sum = 0;
        foreach (var batch in Plan.Epoch(run.Epoch))
        {
            run.Step++;
            if (batch.Objective is { } f)
            {
                double value = f.ValueAndGradient(run.Theta, run.Gradient, batch.Rows);
                run.Evaluations++;
                CheckLoss(Name, value, run.Epoch + 1, batch.Index + 1, rate);
                sum += value * batch.Count;
                Rule.Step(run.Theta, run.Gradient, rate, run.Step);
                ApplyL1(objective, run.Theta, rate);
            }
            Plan.AfterStep(batch, run.Step, run.Theta);
        }
        return Plan.EndEpoch(run.Theta, sum);
    }

    /// <summary>Throws <see cref="TrainingDivergedException"/> when <paramref name="batchLoss"/> is not finite, naming where and suggesting a smaller rate.</summary>
    internal static void CheckLoss(string solver, double batchLoss, int epoch, long step, double rate)
    {
        if (!double.IsFinite(batchLoss))
            throw new TrainingDivergedException($"{solver}: the loss became {batchLoss} at epoch {epoch}, step {step}. The learning rate {rate:G3} is too large: try a smaller --lr.");
    }

    /// <summary>
    /// After a step at rate η: w ← sign(w)·max(|w| − η·λ1, 0) on the weights W (not the bias), the proximal step of
    /// the L1 penalty. Nothing when λ1 = 0.
    /// </summary>
    internal static void ApplyL1(SoftmaxObjective objective, Span<double> theta, double rate)
    {
        if (objective.L1 <= 0) return;
        double t = rate * objective.L1;
        var w = theta[..objective.WeightCount];
        for (int i = 0; i < w.Length; i++) w[i] = Math.Sign(w[i]) * Math.Max(Math.Abs(w[i]) - t, 0);
    }

    private void Resume(SolverState state, Run run, SolverContext context)
    {
        if (state.Solver != Name) throw new ArgumentException($"The checkpoint was written by {state.Solver}, not {Name}.");
        state.CopyVector(SolverState.ParametersName, run.Theta);
        var (buffers, names) = (Rule.State, Rule.StateNames);
        for (int b = 0; b < buffers.Count; b++) state.CopyVector(names[b], buffers[b]);
        run.Step = state.Iteration;
        run.Epoch = state.Epoch;
        run.Evaluations = state.Evaluations;
        context.Restore(state);
    }

    private void Checkpoint(SolverContext context, Run run)
    {
        int done = run.Epoch + 1, evaluations = run.Evaluations;
        long steps = run.Step;
        context.MaybeCheckpoint(done, () =>
        {
            var vectors = new Dictionary<string, double[]>(StringComparer.Ordinal) { [SolverState.ParametersName] = (double[])run.Theta.Clone() };
            var (buffers, names) = (Rule.State, Rule.StateNames);
            for (int b = 0; b < buffers.Count; b++) vectors.Add(names[b], (double[])buffers[b].Clone());
            return new SolverState(Name, (int)steps, done, evaluations, vectors, new Dictionary<string, double>(), context.History.ToArray());
        });
    }
}

using System.Diagnostics;

namespace Softmax.Optimization;

/// <summary>Validation metrics of a parameter vector.</summary>
public readonly record struct ValidationScore(double Accuracy, double Loss);

/// <summary>
/// What a solver needs besides the objective: progress reporting, cancellation, and an optional validation
/// evaluator for early stopping on the validation loss (patience counted in validations: epochs, or every
/// <see cref="ValidateEvery"/> iterations for L-BFGS; an improvement must exceed <see cref="MinDelta"/>; the weights
/// with the lowest validation loss are kept).
/// </summary>
public sealed class SolverContext
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double[]? _best;
    private double _bestAccuracy = double.NegativeInfinity;
    private double _bestLoss = double.PositiveInfinity;
    private int _sinceBest;

    /// <summary>Progress sink, or null.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Stops training cleanly; the solver returns the best weights so far.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Scores θ on validation rows, or null.</summary>
    public Func<double[], ValidationScore>? Validate { get; init; }

    /// <summary>Validations without improvement of the validation loss before stopping; 0 disables early stopping.</summary>
    public int Patience { get; init; }

    /// <summary>
    /// How much the validation loss must fall below the best so far to count as an improvement (absolute, in nats;
    /// Keras' <c>min_delta</c>). 0: any decrease.
    /// </summary>
    public double MinDelta { get; init; }

    /// <summary>Evaluate validation every this many iterations (L-BFGS) to bound its cost.</summary>
    public int ValidateEvery { get; init; } = 1;

    /// <summary>Called with the solver's full state after each epoch (L-BFGS: iteration), for checkpoints.</summary>
    public Action<SolverState>? Checkpoint { get; init; }

    /// <summary>Every how many epochs (L-BFGS: iterations) <see cref="Checkpoint"/> is called.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>A state to continue from, written earlier through <see cref="Checkpoint"/>.</summary>
    public SolverState? ResumeFrom { get; init; }

    /// <summary>
    /// The arithmetic asked for: <see cref="Engine.Precision.Auto"/> lets L-BFGS run float32 passes and polish in float64
    /// once float32 reaches its noise floor (or use float64 outright on small problems); float32 and float64 fix it.
    /// </summary>
    public Engine.Precision Precision { get; init; } = Engine.Precision.Auto;

    private TimeSpan _offset;

    /// <summary>
    /// Sets the loss to the arithmetic asked for, under auto to float64 when <paramref name="autoFloat64"/> (if the
    /// engine has it) and float32 otherwise; float64 asked of an engine without it is an error.
    /// </summary>
    internal void SetArithmetic(Engine.ISoftmaxLoss loss, bool autoFloat64)
    {
        var want = Precision == Engine.Precision.Auto ? (autoFloat64 ? Engine.Precision.Float64 : Engine.Precision.Float32) : Precision;
        if (!loss.TrySetArithmetic(want) && Precision == Engine.Precision.Float64)
            throw new NotSupportedException($"This engine ({loss.GetType().Name}) has no float64 arithmetic; use precision auto or float32.");
    }

    internal TimeSpan Elapsed => _clock.Elapsed + _offset;

    internal void Restore(SolverState state)
    {
        _history.Clear();
        _history.AddRange(state.History);
        if (state.EarlyStopping is { } es)
        {
            _best = es.Best is null ? null : (double[])es.Best.Clone();
            _bestAccuracy = es.BestAccuracy;
            _bestLoss = es.BestLoss;
            _sinceBest = es.SinceBest;
        }
        if (state.History.Count > 0) _offset = TimeSpan.FromSeconds(state.History[^1].Seconds);
    }

    internal void MaybeCheckpoint(int count, Func<SolverState> state)
    {
        if (Checkpoint is not null && count % Math.Max(1, CheckpointEvery) == 0)
            Checkpoint(state() with { EarlyStopping = new EarlyStoppingState((double[]?)_best?.Clone(), _bestAccuracy, _sinceBest) { BestLoss = _bestLoss } });
    }

    private readonly List<HistoryEntry> _history = [];

    /// <summary>What <see cref="Report"/> has recorded, in order: a solver returns it in its <see cref="SolverResult"/>.</summary>
    public IReadOnlyList<HistoryEntry> History => _history;

    /// <summary>The θ with the lowest validation loss so far, when validation is on.</summary>
    internal double[]? Best => _best;

    /// <summary>
    /// Records one epoch (L-BFGS: iteration) for a solver: checks the loss is finite (else
    /// <see cref="TrainingDivergedException"/>), scores validation when asked and keeps the best weights, appends to
    /// <see cref="History"/> and reports progress. Returns true when early stopping fires. Every solver, in this
    /// assembly or another, records its epochs here, so history, progress and early stopping behave the same.
    /// </summary>
    /// <param name="solver">The solver's name, for messages and progress.</param>
    /// <param name="iteration">Steps (or iterations) so far.</param>
    /// <param name="epoch">Epochs so far (mini-batch solvers); 0 for L-BFGS, which has no epochs.</param>
    /// <param name="evaluations">Evaluations of F and ∇F so far (L-BFGS: full passes; mini-batch: batch evaluations).</param>
    /// <param name="loss">The objective at the end of the epoch.</param>
    /// <param name="gradNorm">The gradient norm, or NaN when not known.</param>
    /// <param name="theta">The current parameters (scored on validation rows when <paramref name="validateNow"/>).</param>
    /// <param name="total">Epochs (or iterations) planned, for progress bars.</param>
    /// <param name="validateNow">Whether to score validation this time.</param>
    /// <param name="parameters">How a progress consumer gets a copy of the parameters; a clone of θ by default.</param>
    public bool Report(string solver, int iteration, int epoch, int evaluations, double loss, double gradNorm, double[] theta, int total, bool validateNow = true,
        Func<double[]>? parameters = null)
    {
        if (!double.IsFinite(loss))
            throw new TrainingDivergedException($"{solver}: the loss became {loss} at iteration {iteration} ({(epoch > 0 ? $"epoch {epoch}" : $"{evaluations} evaluations")}). The step is too large: try a smaller learning rate (--lr), or L-BFGS.");
        ValidationScore? score = null;
        if (Validate is not null && validateNow)
        {
            score = Validate(theta);
            // The loss, not the accuracy: accuracy moves in steps of 1/N and plateaus while the fit still improves.
            if (score.Value.Loss < _bestLoss - MinDelta)
            {
                _bestLoss = score.Value.Loss;
                _bestAccuracy = score.Value.Accuracy;
                _best = (double[])theta.Clone();
                _sinceBest = 0;
            }
            else _sinceBest++;
        }
        var entry = new HistoryEntry(iteration, epoch, loss, gradNorm, score?.Accuracy, score?.Loss, Elapsed.TotalSeconds) { Evaluations = evaluations };
        _history.Add(entry);
        Progress?.Report(new TrainingProgress(solver, iteration, epoch, loss, gradNorm, score?.Accuracy, score?.Loss, Elapsed, total)
        {
            Evaluations = evaluations,
            CurrentParameters = parameters ?? (() => (double[])theta.Clone()),
        });
        return Patience > 0 && _sinceBest >= Patience;
    }

    /// <summary>
    /// A mini-batch solver's result: the best validated weights when early stopping or cancelling with validation
    /// on, else <paramref name="theta"/>; non-finite weights throw <see cref="TrainingDivergedException"/>; the
    /// history is what <see cref="Report"/> recorded.
    /// </summary>
    public SolverResult Result(string solver, double[] theta, double loss, int iterations, int epochs, int evaluations, StopReason reason)
    {
        var chosen = Choose(theta, reason);
        if (!chosen.All(double.IsFinite)) throw new TrainingDivergedException($"{solver}: the weights are not finite. Try a smaller learning rate.");
        return new SolverResult(chosen, loss, iterations, epochs, evaluations, reason, _history.ToArray());
    }

    /// <summary>The weights to return: the best validated ones when early stopping or cancelling with validation on.</summary>
    internal double[] Choose(double[] current, StopReason reason) =>
        (reason is StopReason.EarlyStopping or StopReason.Cancelled) && _best is not null ? _best : current;
}

namespace Softmax.Optimization;

/// <summary>One progress report: after each L-BFGS iteration, or each SGD/Adam epoch.</summary>
/// <param name="Solver">Solver name.</param>
/// <param name="Iteration">Iterations (solver steps) so far.</param>
/// <param name="Epoch">Epochs (passes over the training rows) done by a mini-batch solver; 0 for L-BFGS, which has no epochs: see <see cref="Evaluations"/>.</param>
/// <param name="Loss">Objective F (L-BFGS: exact; SGD/Adam: mean of the epoch's batch values).</param>
/// <param name="GradientNorm">Infinity norm of the (pseudo-)gradient, when known.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation rows, when a validation set is given.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation rows, when a validation set is given.</param>
/// <param name="Elapsed">Time since training started.</param>
/// <param name="TotalEpochs">Planned epochs or iterations, for progress bars; 0 when unknown.</param>
public sealed record TrainingProgress(string Solver, int Iteration, int Epoch, double Loss, double GradientNorm,
    double? ValidationAccuracy, double? ValidationLoss, TimeSpan Elapsed, int TotalEpochs)
{
    /// <summary>
    /// Evaluations of F and ∇F so far: for L-BFGS each one is a full pass over the training rows (the line search's
    /// trial points included), and this is its count of work; for mini-batch solvers, batch evaluations.
    /// </summary>
    public int Evaluations { get; init; }

    /// <summary>
    /// Returns a copy of the current θ = [W, b] in model coordinates, valid during the report (call it inside the
    /// handler; for preconditioned L-BFGS it costs O(C·D²)). For learning curves and live previews.
    /// </summary>
    public Func<double[]>? CurrentParameters { get; init; }
}

/// <summary>Why a solver stopped.</summary>
public enum StopReason
{
    /// <summary>The gradient test was met: ‖∇F‖∞ (OWL-QN: of the pseudo-gradient) ≤ the gradient tolerance, evaluated in float64 unless float32 was asked for.</summary>
    Converged,
    /// <summary>The relative decrease of F, averaged over the last iterations, fell below the relative tolerance (when one is set).</summary>
    RelativeDecrease,
    /// <summary>The iteration limit was reached.</summary>
    MaxIterations,
    /// <summary>All planned epochs ran.</summary>
    EpochsCompleted,
    /// <summary>Validation loss stopped improving for the patience window; the best weights were kept.</summary>
    EarlyStopping,
    /// <summary>The cancellation token fired; the best weights so far were kept.</summary>
    Cancelled,
    /// <summary>
    /// A real failure: no step along a descent direction lowers F or its slope, in the finest arithmetic the engine
    /// has, before the gradient test is met. With float32 arithmetic asked for, the float32 noise floor; in float64,
    /// a gradient tolerance below what float64 can resolve for this problem.
    /// </summary>
    PrecisionLimit,
    /// <summary>Training made the loss worse than a uniform guess or it rose over training: the step size is too large.</summary>
    Diverged,
}

/// <summary>One row of the learning curve, counted as <see cref="TrainingProgress"/> counts.</summary>
/// <param name="Iteration">Steps (mini-batch) or iterations (L-BFGS) so far.</param>
/// <param name="Epoch">Epochs done by a mini-batch solver; 0 for L-BFGS.</param>
/// <param name="Loss">Objective F at this point.</param>
/// <param name="GradientNorm">Infinity norm of the (pseudo-)gradient, or NaN when not known.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation rows, when scored.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation rows, when scored.</param>
/// <param name="Seconds">Time since training started.</param>
public sealed record HistoryEntry(int Iteration, int Epoch, double Loss, double GradientNorm, double? ValidationAccuracy, double? ValidationLoss, double Seconds)
{
    /// <summary>Evaluations of F and ∇F so far (L-BFGS: full passes; mini-batch: batch evaluations); 0 when not recorded (histories read from a model file).</summary>
    public int Evaluations { get; init; }
}

/// <summary>What a solver returns. <see cref="Theta"/> is always finite.</summary>
/// <remarks>
/// <see cref="Epochs"/> is the epochs of a mini-batch solver, 0 for L-BFGS, which has none;
/// <see cref="Evaluations"/> counts F-and-∇F evaluations for every solver.
/// </remarks>
public sealed record SolverResult(double[] Theta, double Value, int Iterations, int Epochs, int Evaluations, StopReason Reason, IReadOnlyList<HistoryEntry> History);

/// <summary>Thrown when the loss becomes NaN or infinite; no model is produced.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

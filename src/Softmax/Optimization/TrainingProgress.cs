namespace Softmax.Optimization;

/// <summary>One progress report: after each L-BFGS iteration, or each SGD/Adam epoch.</summary>
/// <param name="Solver">Solver name.</param>
/// <param name="Iteration">Iterations (solver steps) so far.</param>
/// <param name="Epoch">Passes over the training rows so far (L-BFGS: evaluations).</param>
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
    /// Returns a copy of the current θ = [W, b] in model coordinates, valid during the report (call it inside the
    /// handler; for preconditioned L-BFGS it costs O(C·D²)). For learning curves and live previews.
    /// </summary>
    public Func<double[]>? CurrentParameters { get; init; }
}

/// <summary>Why a solver stopped.</summary>
public enum StopReason
{
    /// <summary>The gradient's infinity norm fell below the tolerance.</summary>
    GradientTolerance,
    /// <summary>The relative decrease of F in one iteration fell below the tolerance.</summary>
    RelativeDecrease,
    /// <summary>The iteration limit was reached.</summary>
    MaxIterations,
    /// <summary>All planned epochs ran.</summary>
    EpochsCompleted,
    /// <summary>Validation accuracy stopped improving for the patience window; the best weights were kept.</summary>
    EarlyStopping,
    /// <summary>The cancellation token fired; the best weights so far were kept.</summary>
    Cancelled,
    /// <summary>The line search could not decrease F further: the optimum is reached to machine precision.</summary>
    LineSearchStalled,
}

/// <summary>One row of the learning curve.</summary>
public sealed record HistoryEntry(int Iteration, int Epoch, double Loss, double GradientNorm, double? ValidationAccuracy, double? ValidationLoss, double Seconds);

/// <summary>What a solver returns. <see cref="Theta"/> is always finite.</summary>
public sealed record SolverResult(double[] Theta, double Value, int Iterations, int Epochs, int Evaluations, StopReason Reason, IReadOnlyList<HistoryEntry> History);

/// <summary>Thrown when the loss becomes NaN or infinite; no model is produced.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

namespace Softmax.Optimization;

/// <summary>
/// Everything a solver needs to continue exactly where it stopped: resuming from a state gives bit-identical
/// results to an uninterrupted run with the same seed and thread count.
/// </summary>
/// <param name="Solver">Name of the solver that wrote it.</param>
/// <param name="Iteration">Steps taken.</param>
/// <param name="Epoch">Epochs (mini-batch) or evaluations (L-BFGS) done.</param>
/// <param name="Buffers">The parameter vector first, then the solver's own vectors (velocity, moments, history).</param>
/// <param name="Scalars">Solver scalars (for L-BFGS: F, history head and count).</param>
/// <param name="History">The learning curve so far.</param>
/// <param name="EarlyStopping">The best validated θ, its accuracy and the epochs since, when validation is on.</param>
public sealed record SolverState(string Solver, int Iteration, int Epoch, double[][] Buffers, double[] Scalars, IReadOnlyList<HistoryEntry> History,
    EarlyStoppingState? EarlyStopping = null);

/// <summary>Early-stopping bookkeeping carried by a checkpoint, so a resumed run stops exactly where an uninterrupted one would.</summary>
/// <param name="Best">θ with the lowest validation loss so far.</param>
/// <param name="BestAccuracy">Its validation accuracy.</param>
/// <param name="SinceBest">Validations since it.</param>
public sealed record EarlyStoppingState(double[]? Best, double BestAccuracy, int SinceBest)
{
    /// <summary>The lowest validation loss so far (that of <see cref="Best"/>).</summary>
    public double BestLoss { get; init; } = double.PositiveInfinity;
}

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
public sealed record SolverState(string Solver, int Iteration, int Epoch, double[][] Buffers, double[] Scalars, IReadOnlyList<HistoryEntry> History);

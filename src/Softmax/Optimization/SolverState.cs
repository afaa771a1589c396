namespace Softmax.Optimization;

/// <summary>
/// Everything a solver needs to continue exactly where it stopped: resuming from a state gives bit-identical
/// results to an uninterrupted run with the same seed and thread count. The solver's vectors and scalars are named,
/// never positional, so a reader (and a person) can tell what each one is; the names each solver writes are listed in
/// docs/formats.md ("Solver state").
/// </summary>
/// <param name="Solver">Name of the solver that wrote it.</param>
/// <param name="Iteration">Steps (mini-batch) or iterations (L-BFGS) taken.</param>
/// <param name="Epoch">Epochs done (mini-batch solvers); 0 for L-BFGS, which has no epochs and counts <paramref name="Evaluations"/>.</param>
/// <param name="Evaluations">Evaluations of F and ∇F so far: full passes over the rows for L-BFGS (its line search included), batch evaluations for mini-batch solvers.</param>
/// <param name="Vectors">
/// The solver's vectors by name: <see cref="ParametersName"/> (the iterate; for L-BFGS in its preconditioned
/// coordinates) and the solver's own (velocity, Adam moments, L-BFGS correction pairs).
/// </param>
/// <param name="Scalars">The solver's scalars by name (L-BFGS: F, history head and count, arithmetic, …); empty for mini-batch solvers.</param>
/// <param name="History">The learning curve so far.</param>
/// <param name="EarlyStopping">The best validated θ, its accuracy and loss and the validations since, when validation is on.</param>
public sealed record SolverState(string Solver, int Iteration, int Epoch, int Evaluations, IReadOnlyDictionary<string, double[]> Vectors,
    IReadOnlyDictionary<string, double> Scalars, IReadOnlyList<HistoryEntry> History, EarlyStoppingState? EarlyStopping = null)
{
    /// <summary>The name of the iterate among <see cref="Vectors"/>; every solver writes it.</summary>
    public const string ParametersName = "theta";

    /// <summary>The iterate (<see cref="ParametersName"/>): θ for mini-batch solvers, L-BFGS's φ (θ when not preconditioned).</summary>
    public double[] Parameters => Vector(ParametersName);

    /// <summary>The vector called <paramref name="name"/>; an <see cref="ArgumentException"/> naming it and the solver when absent.</summary>
    public double[] Vector(string name) => Vectors.TryGetValue(name, out var v) ? v
        : throw new ArgumentException($"The {Solver} checkpoint holds no vector '{name}' (it has {Names(Vectors.Keys)}).", nameof(name));

    /// <summary>The scalar called <paramref name="name"/>; an <see cref="ArgumentException"/> naming it and the solver when absent.</summary>
    public double Scalar(string name) => Scalars.TryGetValue(name, out var v) ? v
        : throw new ArgumentException($"The {Solver} checkpoint holds no scalar '{name}' (it has {Names(Scalars.Keys)}).", nameof(name));

    /// <summary>Copies the vector <paramref name="name"/> into <paramref name="destination"/>, whose length it must have.</summary>
    internal void CopyVector(string name, double[] destination)
    {
        var v = Vector(name);
        if (v.Length != destination.Length)
            throw new ArgumentException($"The {Solver} checkpoint's vector '{name}' has {v.Length} values; this run needs {destination.Length}.", nameof(name));
        v.CopyTo(destination, 0);
    }

    private static string Names(IEnumerable<string> names) =>
        names.Any() ? string.Join(", ", names.Order(StringComparer.Ordinal)) : "none";
}

/// <summary>Early-stopping bookkeeping carried by a checkpoint, so a resumed run stops exactly where an uninterrupted one would.</summary>
/// <param name="Best">θ with the lowest validation loss so far.</param>
/// <param name="BestAccuracy">Its validation accuracy.</param>
/// <param name="SinceBest">Validations since it.</param>
public sealed record EarlyStoppingState(double[]? Best, double BestAccuracy, int SinceBest)
{
    /// <summary>The lowest validation loss so far (that of <see cref="Best"/>).</summary>
    public double BestLoss { get; init; } = double.PositiveInfinity;
}

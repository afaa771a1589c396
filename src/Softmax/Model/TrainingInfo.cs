namespace Softmax.Model;

/// <summary>The settings and outcome of training, stored in the model file for `softmax info` and reports.</summary>
public sealed record TrainingInfo
{
    /// <summary>Solver name.</summary>
    public string Solver { get; init; } = "";
    /// <summary>λ2.</summary>
    public double L2 { get; init; }
    /// <summary>λ1.</summary>
    public double L1 { get; init; }
    /// <summary>Final objective F on the training rows.</summary>
    public double Objective { get; init; } = double.NaN;
    /// <summary>Training rows.</summary>
    public int Rows { get; init; }
    /// <summary>Iterations or steps.</summary>
    public int Iterations { get; init; }
    /// <summary>Epochs done by a mini-batch solver; null for L-BFGS, which has none (see <see cref="Evaluations"/>).</summary>
    public int? Epochs { get; init; }
    /// <summary>
    /// L-BFGS's evaluations of F and ∇F, each a full pass over the training rows (its line search included); null for a
    /// mini-batch solver, which counts <see cref="Epochs"/>.
    /// </summary>
    public int? Evaluations { get; init; }
    /// <summary>Why training stopped.</summary>
    public string StopReason { get; init; } = "";
    /// <summary>Seed.</summary>
    public int Seed { get; init; }
    /// <summary>Wall time in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>Other settings, as text key/value pairs.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>The learning curve: the solver's recorded history (training loss, validation loss and accuracy).</summary>
    public IReadOnlyList<Optimization.HistoryEntry> History { get; init; } = [];

    /// <summary>
    /// Every hyper-parameter of <paramref name="options"/> that decides the run, as text (invariant culture): the
    /// solver's own (lr, batch size, epochs, schedule, sampling, momentum, Nesterov for sgd/adam; max_iter, tol,
    /// history for L-BFGS) and the shared ones (validation fraction, patience, min_delta, class weights).
    /// </summary>
    public static Dictionary<string, string> Hyperparameters(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        static string D(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        static string I(int v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var s = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["validation_fraction"] = D(options.ValidationFraction),
            ["patience"] = I(options.Patience),
            ["min_delta"] = D(options.MinDelta),
            ["class_weight"] = options.BalancedClassWeights ? "balanced" : options.ClassWeights is null ? "none" : "given",
            ["precision"] = options.Precision.ToString().ToLowerInvariant(),
        };
        if (options.Solver == SolverKind.Lbfgs)
        {
            s["max_iter"] = I(options.Lbfgs.MaxIterations);
            s["tol"] = D(options.Lbfgs.GradientTolerance);
            s["ftol"] = D(options.Lbfgs.RelativeTolerance);
            s["lbfgs_history"] = options.Lbfgs.History is { } pairs ? I(pairs) : "auto";
            return s;
        }
        var m = options.MiniBatch;
        s["lr"] = D(m.LearningRate);
        s["batch_size"] = I(m.BatchSize);
        s["epochs"] = I(m.Epochs);
        s["schedule"] = m.Schedule.ToString() ?? "constant";
        s["sampling"] = m.Sampling.ToString();
        if (options.Solver == SolverKind.Sgd)
        {
            s["momentum"] = D(options.Momentum);
            s["nesterov"] = options.Nesterov ? "true" : "false";
        }
        return s;
    }
}

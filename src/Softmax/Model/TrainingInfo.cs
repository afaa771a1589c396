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
    /// <summary>Epochs, or evaluations for L-BFGS.</summary>
    public int Epochs { get; init; }
    /// <summary>Why training stopped.</summary>
    public string StopReason { get; init; } = "";
    /// <summary>Seed.</summary>
    public int Seed { get; init; }
    /// <summary>Wall time in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>Other settings, as text key/value pairs.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The record of a finished run: the solver's outcome and the options' penalties and seed, plus the trainer's own
    /// <paramref name="settings"/> (in-memory, streamed and distributed trainers each add theirs).
    /// </summary>
    public static TrainingInfo From(string solver, TrainingOptions options, Optimization.SolverResult result, double objective,
        int rows, TimeSpan elapsed, IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        return new TrainingInfo
        {
            Solver = solver,
            L2 = options.L2,
            L1 = options.L1,
            Objective = objective,
            Rows = rows,
            Iterations = result.Iterations,
            Epochs = result.Epochs,
            StopReason = result.Reason.ToString(),
            Seed = options.Seed,
            Seconds = elapsed.TotalSeconds,
            Settings = settings,
        };
    }
}

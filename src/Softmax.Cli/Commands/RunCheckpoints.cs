using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>
/// Checkpoints and resume of one <c>softmax train</c> run, whatever its data view (in memory, streamed, distributed):
/// the settings a checkpoint records (<see cref="TrainingFlags.Describe"/>, the data's <see cref="DataFingerprint"/> and
/// the view's own settings that decide the arithmetic: block bytes, ranks), the check that a resume continues the same
/// run with the same data, and the writer called every <see cref="TrainPlan.CheckpointEvery"/> epochs (L-BFGS: iterations).
/// </summary>
public sealed class RunCheckpoints(TrainPlan plan, params IReadOnlyDictionary<string, string>[] settings)
{
    /// <summary>The settings key naming the data view; checkpoints that lack it were written in memory.</summary>
    public const string ViewKey = "view";

    /// <summary>Settings written into checkpoints and compared on resume: the union of the parts given, later ones winning.</summary>
    public Dictionary<string, string> Settings { get; } = settings.SelectMany(part => part).GroupBy(p => p.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    /// <summary>
    /// The checkpoint to continue from, checked against this run's settings and the shape of its data
    /// (<paramref name="classes"/> × <paramref name="features"/>), with the curve it carries; (null, []) without --resume.
    /// </summary>
    public (SolverState? State, IReadOnlyList<CurvePoint> Curve) Resume(Ui ui, SolverKind solver, int classes, int features)
    {
        ArgumentNullException.ThrowIfNull(ui);
        if (plan.ResumePath is null) return (null, []);
        var (settings, state, curve) = CheckpointFile.Load(plan.ResumePath);
        CheckSameRun(settings);
        CheckShape(state, classes, features);
        ui.Note($"resuming from {plan.ResumePath} at iteration {state.Iteration}, " + (solver == SolverKind.Lbfgs ? $"{state.Evaluations} evaluations" : $"epoch {state.Epoch}"));
        return (state, curve);
    }

    /// <summary>
    /// The solver's checkpoint callback (called every epoch or iteration: it writes every <see cref="TrainPlan.CheckpointEvery"/>th), or
    /// null without --checkpoint-every. The curve a checkpoint carries is <paramref name="curve"/>, the one the run was
    /// resumed with: a run's own points are scored at its end. <see cref="CheckpointFile.Save"/> writes atomically.
    /// </summary>
    public Action<SolverState>? Writer(SolverKind solver, IReadOnlyList<CurvePoint> curve)
    {
        if (plan.CheckpointEvery <= 0) return null;
        string path = plan.CheckpointPath;
        bool lbfgs = solver == SolverKind.Lbfgs;
        return state =>
        {
            if ((lbfgs ? state.Iteration : state.Epoch) % plan.CheckpointEvery == 0) CheckpointFile.Save(path, Settings, state, curve);
        };
    }

    /// <summary>Refuses a checkpoint written with other settings or on other data, saying which and how.</summary>
    private void CheckSameRun(Dictionary<string, string> saved)
    {
        string? data = Settings.GetValueOrDefault("data");
        saved.TryAdd(ViewKey, "memory");
        // The view first: another view means other arithmetic (and another kind of data fingerprint).
        foreach (var (key, value) in Settings.OrderBy(p => p.Key != ViewKey))
        {
            if (key == "data.file_bytes") continue;
            saved.TryGetValue(key, out var was);
            if (was == value) continue;
            if (DataFingerprint.MustMatch(key))
                throw new UsageException(was is null
                    ? $"{plan.ResumePath}: the checkpoint records no fingerprint of its data (written by an older version), so it cannot be checked against {data}; train afresh."
                    : $"{plan.ResumePath}: the checkpoint was trained on other data: {key} was {was}, {data} now has {value}" +
                      (saved.TryGetValue("data.file_bytes", out var bytes) && Settings.TryGetValue("data.file_bytes", out var nowBytes) && bytes != nowBytes ? $" (the file had {bytes} bytes, now {nowBytes})" : "") +
                      "; resume against the data it was written with.");
            throw new UsageException($"{plan.ResumePath}: the checkpoint was written with {key}={was ?? "(unset)"}, but this run has {key}={value}; resume with the same settings.");
        }
    }

    /// <summary>The checkpoint's θ must fit this data's C·D + C parameters, and its vectors (early stopping's best θ too) be finite.</summary>
    private void CheckShape(SolverState state, int classes, int features)
    {
        long dimension = (long)classes * features + classes;
        int found = state.Vectors.TryGetValue(SolverState.ParametersName, out var theta) ? theta.Length : 0;
        if (found != dimension)
            throw new UsageException($"{plan.ResumePath}: the checkpoint holds {found} parameters, but {classes} classes × {features} features need {dimension}.");
        var best = state.EarlyStopping?.Best;
        if (best is not null && best.Length != dimension)
            throw new UsageException($"{plan.ResumePath}: the checkpoint's early-stopping weights hold {best.Length} parameters, but this data needs {dimension}.");
        var vectors = best is null ? state.Vectors : state.Vectors.Append(new("early_stopping.best", best));
        foreach (var (name, values) in vectors)
            if (values.Any(v => !double.IsFinite(v)))
                throw new UsageException($"{plan.ResumePath}: the checkpoint's vector '{name}' holds values that are not finite.");
    }
}

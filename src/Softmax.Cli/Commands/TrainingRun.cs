using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>What one training run produced, with the accuracy curve restored from a checkpoint.</summary>
public sealed record RunOutcome(TrainingResult Result, IReadOnlyList<CurvePoint> EarlierCurve, bool Resumed);

/// <summary>
/// Runs <see cref="SoftmaxTrainer.Fit"/> in memory under the one progress adapter (<see cref="RunProgress"/>), with
/// optional checkpoints and resume.
/// </summary>
public sealed class TrainingRun
{
    /// <summary>Training options (with the run's engine plugged in).</summary>
    public required TrainingOptions Options { get; init; }
    /// <summary>Training rows (raw).</summary>
    public required Dataset Train { get; init; }
    /// <summary>Settings stored in checkpoints.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>The progress adapter (progress bar, parameter trail, testing delay).</summary>
    public required RunProgress Progress { get; init; }
    /// <summary>Write a checkpoint every this many epochs (L-BFGS: iterations); 0 for none.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Where checkpoints go.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>A checkpoint to continue from.</summary>
    public string? ResumePath { get; init; }

    /// <summary>Trains. <paramref name="label"/> titles the progress bar.</summary>
    public RunOutcome Execute(Ui ui, CancellationToken token, string label = "training")
    {
        SolverState? resume = null;
        IReadOnlyList<CurvePoint> earlier = [];
        var written = new Dictionary<string, string>(Settings, StringComparer.Ordinal);
        foreach (var (key, value) in DataFingerprint.Of(Train, Settings.GetValueOrDefault("data"))) written[key] = value;
        Magnitudes.Check(Train, Options, Settings.GetValueOrDefault("data") ?? Train.Name ?? "the training data");
        if (ResumePath is not null)
        {
            var (settings, state, savedCurve) = CheckpointFile.Load(ResumePath);
            CheckSameRun(settings, written);
            CheckShape(state);
            resume = state;
            earlier = savedCurve;
            ui.Note($"resuming from {ResumePath} at iteration {state.Iteration}, " + (Options.Solver == SolverKind.Lbfgs ? $"{state.Evaluations} evaluations" : $"epoch {state.Epoch}"));
        }
        bool lbfgs = Options.Solver == SolverKind.Lbfgs;
        Action<SolverState>? checkpoint = null;
        if (CheckpointEvery > 0 && CheckpointPath is not null)
            checkpoint = state =>
            {
                // The curve a checkpoint carries is the one it was resumed with: this run's points are scored at its end.
                if ((lbfgs ? state.Iteration : state.Epoch) % CheckpointEvery == 0) CheckpointFile.Save(CheckpointPath, written, state, earlier);
            };
        var result = Progress.Run(ui, label, progress => SoftmaxTrainer.Fit(Train, Options, progress, token, resume, checkpoint, checkpointEvery: 1));
        return new RunOutcome(result, earlier, resume is not null);
    }

    /// <summary>Refuses a checkpoint written with other settings or on other data, saying which and how.</summary>
    private void CheckSameRun(Dictionary<string, string> saved, Dictionary<string, string> now)
    {
        foreach (var (key, value) in now)
        {
            if (key == "data.file_bytes") continue;
            saved.TryGetValue(key, out var was);
            if (was == value) continue;
            if (DataFingerprint.MustMatch(key))
                throw new UsageException(was is null
                    ? $"{ResumePath}: the checkpoint records no fingerprint of its data (written by an older version), so it cannot be checked against {Settings.GetValueOrDefault("data")}; train afresh."
                    : $"{ResumePath}: the checkpoint was trained on other data: {key} was {was}, {Settings.GetValueOrDefault("data")} now has {value}" +
                      (saved.TryGetValue("data.file_bytes", out var bytes) && now.TryGetValue("data.file_bytes", out var nowBytes) && bytes != nowBytes ? $" (the file had {bytes} bytes, now {nowBytes})" : "") +
                      "; resume against the data it was written with.");
            throw new UsageException($"{ResumePath}: the checkpoint was written with {key}={was ?? "(unset)"}, but this run has {key}={value}; resume with the same settings.");
        }
    }

    /// <summary>The checkpoint's θ must fit this data's C·D + C parameters, and its vectors (early stopping's best θ too) be finite.</summary>
    private void CheckShape(SolverState state)
    {
        long dimension = (long)Train.ClassNames.Count * Train.FeatureCount + Train.ClassNames.Count;
        int found = state.Vectors.TryGetValue(SolverState.ParametersName, out var theta) ? theta.Length : 0;
        if (found != dimension)
            throw new UsageException($"{ResumePath}: the checkpoint holds {found} parameters, but {Train.ClassNames.Count} classes × {Train.FeatureCount} features need {dimension}.");
        var best = state.EarlyStopping?.Best;
        if (best is not null && best.Length != dimension)
            throw new UsageException($"{ResumePath}: the checkpoint's early-stopping weights hold {best.Length} parameters, but this data needs {dimension}.");
        var vectors = best is null ? state.Vectors : state.Vectors.Append(new("early_stopping.best", best));
        foreach (var (name, values) in vectors)
            if (values.Any(v => !double.IsFinite(v)))
                throw new UsageException($"{ResumePath}: the checkpoint's vector '{name}' holds values that are not finite.");
    }
}

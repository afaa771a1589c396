using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>What one training run produced, with the CLI's accuracy curve.</summary>
public sealed record RunOutcome(TrainingResult Result, List<CurvePoint> Curve, bool Resumed);

/// <summary>
/// Runs <see cref="SoftmaxTrainer.Fit"/> with a progress bar, optional checkpoints and resume, and (when asked)
/// per-epoch train accuracy for the learning curves.
/// </summary>
public sealed class TrainingRun
{
    /// <summary>Training options.</summary>
    public required TrainingOptions Options { get; init; }
    /// <summary>Training rows (raw).</summary>
    public required Dataset Train { get; init; }
    /// <summary>Test rows (raw), or null.</summary>
    public Dataset? Test { get; init; }
    /// <summary>Settings stored in checkpoints.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>Compute train/test accuracy after every epoch (L-BFGS: iteration).</summary>
    public bool TrackAccuracy { get; init; }
    /// <summary>Write a checkpoint every this many epochs (L-BFGS: iterations); 0 for none.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Where checkpoints go.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>A checkpoint to continue from.</summary>
    public string? ResumePath { get; init; }
    /// <summary>Testing aid: sleep this long after each epoch, so a test can kill the process mid-run.</summary>
    public int EpochDelayMs { get; init; }

    /// <summary>Trains. <paramref name="label"/> titles the progress bar.</summary>
    public RunOutcome Execute(Ui ui, CancellationToken token, string label = "training")
    {
        SolverState? resume = null;
        var curve = new List<CurvePoint>();
        var written = new Dictionary<string, string>(Settings, StringComparer.Ordinal);
        foreach (var (key, value) in DataFingerprint.Of(Train, Settings.GetValueOrDefault("data"))) written[key] = value;
        Magnitudes.Check(Train, Options, Settings.GetValueOrDefault("data") ?? Train.Name ?? "the training data");
        if (ResumePath is not null)
        {
            var (settings, state, savedCurve) = CheckpointFile.Load(ResumePath);
            CheckSameRun(settings, written);
            CheckShape(state);
            resume = state;
            curve.AddRange(savedCurve);
            ui.Note($"resuming from {ResumePath} at iteration {state.Iteration}, " + (Options.Solver == SolverKind.Lbfgs ? $"{state.Evaluations} evaluations" : $"epoch {state.Epoch}"));
        }

        var options = Options;
        RecordingLoss? recorder = null;
        Preprocessor? preprocessor = null;
        Dataset? trainRows = null;
        if (TrackAccuracy)
        {
            trainRows = options.ValidationFraction > 0 ? Train.Split(options.ValidationFraction, options.Seed).Train : Train;
            preprocessor = SoftmaxTrainer.FitPreprocessor(trainRows, options);
            if (options.Solver == SolverKind.Lbfgs)
                options = options with
                {
                    LossFactory = (x, classWeights) => recorder = new RecordingLoss(
                        new CpuSoftmaxLoss(x, options.Engine with { ClassWeights = classWeights }), options.L2, options.L1),
                };
        }

        void AddPoint(int epoch, double[] theta)
        {
            if (!TrackAccuracy || curve.Any(c => c.Epoch == epoch)) return;
            var model = new SoftmaxModel(theta, Train.ClassNames, Train.FeatureCount, preprocessor, Train.Image);
            // Train accuracy only: the test set is never scored per epoch (validation is the curve to choose by).
            curve.Add(new CurvePoint(epoch, Scoring.Accuracy(model, trainRows!), double.NaN));
        }

        bool lbfgs = options.Solver == SolverKind.Lbfgs;
        int total = lbfgs ? options.Lbfgs.MaxIterations : options.MiniBatch.Epochs;
        return ui.WithProgress(label, bar =>
        {
            var progress = new SyncProgress<TrainingProgress>(p =>
            {
                int step = lbfgs ? p.Iteration : p.Epoch;
                if (lbfgs && recorder?.Take(p.Loss) is { } theta) AddPoint(step, theta);
                string val = p.ValidationAccuracy is { } va ? $" val_acc {Ui.F(va, "F4")}" : "";
                bar.Update(step, total, $"{(lbfgs ? "iter" : "epoch")} {step}{(lbfgs ? $" ({p.Evaluations} evaluations)" : "")} loss {Ui.F(p.Loss, "G8")}{val}");
                if (EpochDelayMs > 0) Thread.Sleep(EpochDelayMs);
            });
            bool wantCheckpoints = CheckpointEvery > 0 && CheckpointPath is not null;
            Action<SolverState>? checkpoint = null;
            if (wantCheckpoints || (TrackAccuracy && !lbfgs))
                checkpoint = state =>
                {
                    int step = lbfgs ? state.Iteration : state.Epoch;
                    if (!lbfgs) AddPoint(step, state.Parameters);
                    if (wantCheckpoints && step % CheckpointEvery == 0) CheckpointFile.Save(CheckpointPath!, written, state, curve);
                };
            var result = SoftmaxTrainer.Fit(Train, options, progress, token, resume, checkpoint, checkpointEvery: 1);
            int last = lbfgs ? result.Solver.Iterations : result.Solver.Epochs;
            bar.Update(last, last, $"done: {result.Solver.Reason}, F {Ui.F(result.Objective, "G10")}", force: true);
            return new RunOutcome(result, curve, resume is not null);
        });
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

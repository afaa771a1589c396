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
        string? data = Settings.GetValueOrDefault("data");
        var checkpoints = new RunCheckpoints
        {
            Settings = RunCheckpoints.Merge(Settings, DataFingerprint.Of(Train, data), new Dictionary<string, string> { [RunCheckpoints.ViewKey] = "memory" }),
            Every = CheckpointEvery,
            Path = CheckpointPath,
            ResumePath = ResumePath,
        };
        Magnitudes.Check(Train, Options, data ?? Train.Name ?? "the training data");
        var (resume, earlier) = checkpoints.Resume(ui, Options.Solver, Train.ClassNames.Count, Train.FeatureCount);
        var checkpoint = checkpoints.Writer(Options.Solver, earlier);
        var result = Progress.Run(ui, label, progress => SoftmaxTrainer.Fit(Train, Options, progress, token, resume, checkpoint, checkpointEvery: 1));
        return new RunOutcome(result, earlier, resume is not null);
    }
}

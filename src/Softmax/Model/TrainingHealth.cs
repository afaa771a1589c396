using Softmax.Optimization;

namespace Softmax.Model;

/// <summary>
/// Whether a finished run diverged although its numbers stayed finite: its final objective F is above ln C (the loss
/// of guessing every class with probability 1/C, which is F at θ = 0), or the recorded training loss rose from the
/// first record to the last. Either means the step was too large (or the data unscaled), whatever the stop reason says.
/// </summary>
public static class TrainingHealth
{
    /// <summary>Relative rise of the recorded loss tolerated before a run counts as diverged (mini-batch losses are noisy).</summary>
    public const double RiseTolerance = 0.01;

    /// <summary>A one-line reason when <paramref name="result"/> diverged, else null.</summary>
    public static string? Diverged(TrainingResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Diverged(result.Objective, result.Model.Classes, result.Solver.History)
            ?? (result.Solver.Reason == StopReason.Diverged ? "the solver stopped with reason Diverged" : null);
    }

    /// <summary>A one-line reason when a run with final objective <paramref name="objective"/> over <paramref name="classes"/> classes diverged, else null.</summary>
    public static string? Diverged(double objective, int classes, IReadOnlyList<HistoryEntry> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        double uniform = Math.Log(Math.Max(2, classes));
        if (!double.IsFinite(objective))
            return $"the final objective is {objective}";
        if (objective > uniform)
            return $"the final objective F = {objective:G6} is above ln {classes} = {uniform:G6}, the loss of guessing uniformly";
        if (history.Count >= 2 && history[^1].Loss > history[0].Loss * (1 + RiseTolerance))
            return $"the training loss rose from {history[0].Loss:G6} to {history[^1].Loss:G6}";
        return null;
    }
}

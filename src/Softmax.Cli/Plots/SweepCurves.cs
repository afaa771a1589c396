using Softmax.Cli.Commands;

namespace Softmax.Cli.Plots;

/// <summary>
/// <c>tune --plots</c>: the curves of every setting overlaid, one colour per setting: training and validation loss
/// (log axis; solid and dashed) as sweep-loss, validation accuracy as sweep-accuracy (PNG and SVG). A diverged setting
/// is drawn too, so the sweep shows where the learning rate becomes too large.
/// </summary>
public static class SweepCurves
{
    /// <summary>Writes both plots into <paramref name="directory"/>; returns the paths.</summary>
    public static string[] Save(IReadOnlyList<Trial> trials, bool byIteration, string directory, string title)
    {
        Directory.CreateDirectory(directory);
        LearningCurves.UseDejaVu();
        var loss = new ScottPlot.Plot();
        var accuracy = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var t in trials.OrderBy(t => t.Index))
        {
            var colour = palette.GetColor(i++);
            string label = t.Label + (t.Diverged ? " (diverged)" : "");
            double X(Softmax.Optimization.HistoryEntry h) => byIteration ? h.Iteration : h.Epoch;
            var train = t.History.Where(h => h.Loss > 0 && double.IsFinite(h.Loss)).ToArray();
            if (train.Length > 0)
            {
                var line = loss.Add.Scatter(train.Select(X).ToArray(), train.Select(h => Math.Log10(h.Loss)).ToArray(), colour);
                line.LegendText = label;
                line.MarkerSize = 0;
            }
            var val = t.History.Where(h => h.ValidationLoss is > 0).ToArray();
            if (val.Length > 0)
            {
                var line = loss.Add.Scatter(val.Select(X).ToArray(), val.Select(h => Math.Log10(h.ValidationLoss!.Value)).ToArray(), colour);
                line.LinePattern = ScottPlot.LinePattern.Dashed;
                line.MarkerSize = 0;
                var acc = accuracy.Add.Scatter(val.Select(X).ToArray(), val.Select(h => h.ValidationAccuracy ?? double.NaN).ToArray(), colour);
                acc.LegendText = label;
                acc.MarkerSize = val.Length > 60 ? 0 : 3;
            }
        }
        string x = byIteration ? "iteration" : "epoch";
        LearningCurves.Label(loss, $"{title}: loss of every setting (solid: train, dashed: validation)", x, "loss (log scale)", ScottPlot.Alignment.UpperRight);
        LearningCurves.LogY(loss);
        LearningCurves.Label(accuracy, $"{title}: validation accuracy of every setting", x, "validation accuracy", ScottPlot.Alignment.LowerRight);
        return [.. LearningCurves.SavePlot(loss, Path.Combine(directory, "sweep-loss")), .. LearningCurves.SavePlot(accuracy, Path.Combine(directory, "sweep-accuracy"))];
    }
}

using Softmax.IO;
using Softmax.Cli.Infrastructure;
using Softmax.Optimization;

namespace Softmax.Cli.Plots;

/// <summary>
/// Learning curves with ScottPlot: the objective (train) and validation loss against epoch or iteration, and the
/// train, validation and test accuracy, as learning-curve-loss and learning-curve-accuracy (PNG and SVG).
/// </summary>
public static class LearningCurves
{
    private static bool s_fontsReady;

    /// <summary>Writes both plots into <paramref name="directory"/>; returns the paths.</summary>
    public static string[] Save(IReadOnlyList<HistoryEntry> history, IReadOnlyList<CurvePoint> curve, bool byIteration, string directory, string title)
    {
        var files = new List<string>();
        var loss = LossPlot(history, byIteration, title);
        files.AddRange(SavePlot(loss, Path.Combine(directory, "learning-curve-loss")));
        var accuracy = AccuracyPlot(history, curve, byIteration, title);
        files.AddRange(SavePlot(accuracy, Path.Combine(directory, "learning-curve-accuracy")));
        return files.ToArray();
    }

    /// <summary>PNG bytes of the loss and accuracy plots (for the report).</summary>
    public static (byte[] Loss, byte[] Accuracy) Png(IReadOnlyList<HistoryEntry> history, IReadOnlyList<CurvePoint> curve, bool byIteration, string title) =>
        (LossPlot(history, byIteration, title).GetImageBytes(800, 450, ScottPlot.ImageFormat.Png),
         AccuracyPlot(history, curve, byIteration, title).GetImageBytes(800, 450, ScottPlot.ImageFormat.Png));

    private static void UseDejaVu()
    {
        if (s_fontsReady) return;
        s_fontsReady = true;
        if (PlotCanvas.FontFile is { } file)
        {
            ScottPlot.Fonts.AddFontFile("DejaVu Sans", file);
            ScottPlot.Fonts.Default = "DejaVu Sans";
        }
    }

    private static ScottPlot.Plot LossPlot(IReadOnlyList<HistoryEntry> history, bool byIteration, string title)
    {
        UseDejaVu();
        var plot = new ScottPlot.Plot();
        double[] x = history.Select(h => (double)(byIteration ? h.Iteration : h.Epoch)).ToArray();
        if (history.Count > 0)
        {
            var train = plot.Add.Scatter(x, history.Select(h => h.Loss).ToArray());
            train.LegendText = byIteration ? "objective F (train)" : "train loss (mean over the epoch's batches)";
            train.MarkerSize = history.Count > 60 ? 0 : 4;
        }
        var val = history.Where(h => h.ValidationLoss is not null).ToArray();
        if (val.Length > 0)
        {
            var v = plot.Add.Scatter(val.Select(h => (double)(byIteration ? h.Iteration : h.Epoch)).ToArray(), val.Select(h => h.ValidationLoss!.Value).ToArray());
            v.LegendText = "validation loss (cross-entropy)";
        }
        plot.Title($"{title}: loss");
        plot.XLabel(byIteration ? "iteration" : "epoch");
        plot.YLabel("loss");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot;
    }

    private static ScottPlot.Plot AccuracyPlot(IReadOnlyList<HistoryEntry> history, IReadOnlyList<CurvePoint> curve, bool byIteration, string title)
    {
        UseDejaVu();
        var plot = new ScottPlot.Plot();
        var points = curve.OrderBy(c => c.Epoch).ToArray();
        if (points.Length > 0)
        {
            var xs = points.Select(c => (double)c.Epoch).ToArray();
            var train = plot.Add.Scatter(xs, points.Select(c => c.TrainAccuracy).ToArray());
            train.LegendText = "train accuracy";
            train.MarkerSize = points.Length > 60 ? 0 : 4;
            if (points.Any(c => !double.IsNaN(c.TestAccuracy)))
            {
                var test = plot.Add.Scatter(xs, points.Select(c => c.TestAccuracy).ToArray());
                test.LegendText = "test accuracy";
                test.MarkerSize = points.Length > 60 ? 0 : 4;
            }
        }
        var val = history.Where(h => h.ValidationAccuracy is not null).ToArray();
        if (val.Length > 0)
        {
            var v = plot.Add.Scatter(val.Select(h => (double)(byIteration ? h.Iteration : h.Epoch)).ToArray(), val.Select(h => h.ValidationAccuracy!.Value).ToArray());
            v.LegendText = "validation accuracy";
        }
        if (points.Length == 0 && val.Length == 0)
            plot.Add.Annotation("no accuracy recorded: train with --plots (or --validation-fraction)");
        plot.Title($"{title}: accuracy");
        plot.XLabel(byIteration ? "iteration" : "epoch");
        plot.YLabel("accuracy");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plot;
    }

    private static string[] SavePlot(ScottPlot.Plot plot, string basePath)
    {
        string png = basePath + ".png", svg = basePath + ".svg";
        AtomicFile.Write(png, temp => plot.SavePng(temp, 800, 450));
        AtomicFile.Write(svg, temp => plot.SaveSvg(temp, 800, 450));
        return [png, svg];
    }
}

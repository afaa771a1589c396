using Softmax.Cli.Infrastructure;
using Softmax.IO;
using Softmax.Optimization;

namespace Softmax.Cli.Plots;

/// <summary>
/// Learning curves with ScottPlot: the objective (train) and validation loss against epoch or iteration on a log
/// axis (for L-BFGS the distance to the final objective, F − F_final, which shows the linear convergence a plain
/// loss axis flattens), and the train and validation accuracy, as learning-curve-loss and learning-curve-accuracy
/// (PNG and SVG). Never the test set: choosing by curves drawn on it would tune on the test set.
/// </summary>
public static class LearningCurves
{
    private static bool s_fontsReady;

    /// <summary>Writes both plots into <paramref name="directory"/>; returns the paths.</summary>
    public static string[] Save(IReadOnlyList<HistoryEntry> history, IReadOnlyList<CurvePoint> curve, bool byIteration, string directory, string title) =>
    [
        .. SavePlot(LossPlot(history, byIteration, title), Path.Combine(directory, "learning-curve-loss")),
        .. SavePlot(AccuracyPlot(history, curve, byIteration, title), Path.Combine(directory, "learning-curve-accuracy")),
    ];

    /// <summary>PNG bytes of the loss and accuracy plots (for the report).</summary>
    public static (byte[] Loss, byte[] Accuracy) Png(IReadOnlyList<HistoryEntry> history, IReadOnlyList<CurvePoint> curve, bool byIteration, string title) =>
        (LossPlot(history, byIteration, title).GetImageBytes(800, 450, ScottPlot.ImageFormat.Png),
         AccuracyPlot(history, curve, byIteration, title).GetImageBytes(800, 450, ScottPlot.ImageFormat.Png));

    internal static void UseDejaVu()
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
        double final = history.Count > 0 ? history.Min(h => h.Loss) : 0;
        // L-BFGS: F − F_final (its last, lowest point is 0 and left out); mini-batch: the loss itself.
        var trainPoints = byIteration ? history.Where(h => h.Loss - final > 0).ToArray() : history.ToArray();
        if (trainPoints.Length > 0)
        {
            var train = plot.Add.Scatter(trainPoints.Select(h => (double)(byIteration ? h.Iteration : h.Epoch)).ToArray(),
                trainPoints.Select(h => Math.Log10(byIteration ? h.Loss - final : h.Loss)).ToArray());
            train.LegendText = byIteration ? "F − F_final (train objective)" : "train loss (mean over the epoch's batches)";
            train.MarkerSize = trainPoints.Length > 60 ? 0 : 4;
        }
        var val = history.Where(h => h.ValidationLoss is > 0).ToArray();
        if (val.Length > 0 && !byIteration)
        {
            var v = plot.Add.Scatter(val.Select(h => (double)h.Epoch).ToArray(), val.Select(h => Math.Log10(h.ValidationLoss!.Value)).ToArray());
            v.LegendText = "validation loss (cross-entropy)";
        }
        Label(plot, byIteration ? $"{title}: distance to the final objective" : $"{title}: loss", byIteration ? "iteration" : "epoch",
            byIteration ? "F − F_final (log scale)" : "loss (log scale)", ScottPlot.Alignment.UpperRight);
        LogY(plot);
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
        }
        var val = history.Where(h => h.ValidationAccuracy is not null).ToArray();
        if (val.Length > 0)
        {
            var v = plot.Add.Scatter(val.Select(h => (double)(byIteration ? h.Iteration : h.Epoch)).ToArray(), val.Select(h => h.ValidationAccuracy!.Value).ToArray());
            v.LegendText = "validation accuracy";
        }
        if (points.Length == 0 && val.Length == 0)
            plot.Add.Annotation("no accuracy recorded: train with --plots (or --validation-fraction)");
        Label(plot, $"{title}: accuracy", byIteration ? "iteration" : "epoch", "accuracy", ScottPlot.Alignment.LowerRight);
        return plot;
    }

    /// <summary>Titles <paramref name="plot"/>, labels its axes and places its legend.</summary>
    internal static void Label(ScottPlot.Plot plot, string title, string x, string y, ScottPlot.Alignment legend)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(legend);
    }

    /// <summary>A log10 y axis: the plotted values are log10 of the data, labelled with the data's values.</summary>
    internal static void LogY(ScottPlot.Plot plot)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    internal static string[] SavePlot(ScottPlot.Plot plot, string basePath)
    {
        string png = basePath + ".png", svg = basePath + ".svg";
        AtomicFile.Write(png, temp => plot.SavePng(temp, 800, 450));
        AtomicFile.Write(svg, temp => plot.SaveSvg(temp, 800, 450));
        return [png, svg];
    }
}

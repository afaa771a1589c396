using SkiaSharp;
using Softmax.Cli.Metrics;

namespace Softmax.Cli.Plots;

/// <summary>
/// The confusion matrix as a heatmap: rows are true classes, columns predicted ones, colour is the row-normalised
/// fraction (recall on the diagonal), and each cell shows its count when the matrix is small enough to read.
/// </summary>
public static class ConfusionHeatmap
{
    /// <summary>Writes confusion.png and confusion.svg.</summary>
    public static string[] Save(Evaluation e, string directory, string title) => PlotCanvas.Save(Path.Combine(directory, "confusion"), Of(e, title));

    /// <summary>The picture (cells of 8 to 56 pixels, so the matrix is about 640 wide).</summary>
    public static Picture Of(Evaluation e, string title)
    {
        int C = e.Classes.Length, cell = Math.Clamp(640 / Math.Max(1, C), 8, 56);
        const int left = 130, top = 70;
        int w = left + C * cell + 30;
        return new Picture(w, top + C * cell + 60, canvas => Draw(canvas, e, title, w, cell, left, top));
    }

    private static void Draw(SKCanvas canvas, Evaluation e, string title, int w, int cell, int left, int top)
    {
        int C = e.Classes.Length;
        PlotCanvas.Text(canvas, title, w / 2f, 24, 16, SKColors.Black);
        PlotCanvas.Text(canvas, "predicted class", left + C * cell / 2f, 48, 13, SKColors.DimGray);
        using var fill = new SKPaint { Style = SKPaintStyle.Fill };
        bool numbers = cell >= 22;
        for (int i = 0; i < C; i++)
        {
            int support = 0;
            for (int j = 0; j < C; j++) support += e.Metrics.Confusion[i, j];
            for (int j = 0; j < C; j++)
            {
                double f = support == 0 ? 0 : e.Metrics.Confusion[i, j] / (double)support;
                fill.Color = Blues(f);
                float x = left + j * cell, y = top + i * cell;
                canvas.DrawRect(x, y, cell, cell, fill);
                if (numbers && e.Metrics.Confusion[i, j] > 0)
                    PlotCanvas.Text(canvas, e.Metrics.Confusion[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture),
                        x + cell / 2f, y + cell / 2f + 4, Math.Min(13, cell / 2.5f), f > 0.5 ? SKColors.White : SKColors.Black);
            }
            string name = PlotCanvas.Clip(e.Classes[i], 14);
            PlotCanvas.Text(canvas, name, left - 6, top + i * cell + cell / 2f + 4, Math.Min(12, cell * 0.8f), SKColors.Black, SKTextAlign.Right);
            if (cell >= 14)
            {
                canvas.Save();
                float cx = left + i * cell + cell / 2f + 4, cy = top + C * cell + 6;
                canvas.RotateDegrees(45, cx, cy);
                PlotCanvas.Text(canvas, PlotCanvas.Clip(e.Classes[i], 10), cx, cy + 6, Math.Min(12, cell * 0.8f), SKColors.Black, SKTextAlign.Left);
                canvas.Restore();
            }
        }
        canvas.Save();
        canvas.RotateDegrees(-90, 14, top + C * cell / 2f);
        PlotCanvas.Text(canvas, "true class", 14, top + C * cell / 2f + 4, 13, SKColors.DimGray);
        canvas.Restore();
    }

    /// <summary>White to dark blue.</summary>
    private static SKColor Blues(double f)
    {
        f = Math.Clamp(f, 0, 1);
        byte r = (byte)(247 - f * (247 - 8)), g = (byte)(251 - f * (251 - 48)), b = (byte)(255 - f * (255 - 107));
        return new SKColor(r, g, b);
    }
}

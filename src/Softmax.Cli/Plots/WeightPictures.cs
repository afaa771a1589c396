using SkiaSharp;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Plots;

/// <summary>
/// The learned weights of each class drawn as an image (the course's "visualize the learned weights"): W[c] reshaped
/// to the input's picture shape, coloured by <see cref="ImageLayout.Diverging"/> around 0 on one scale shared by all
/// classes (red pushes towards the class, blue away), with a colour bar. Only image data have pictures.
/// </summary>
public static class WeightPictures
{
    private const int BarHeight = 56;

    /// <summary>Writes weights.png and weights.svg into <paramref name="directory"/>; returns the paths (none when not image data).</summary>
    public static string[] Save(SoftmaxModel model, string directory, string title) =>
        Of(model, title) is { } picture ? PlotCanvas.Save(Path.Combine(directory, "weights"), picture) : [];

    /// <summary>The tiles (five to a row) over the colour bar, or null when the model's rows are not pictures.</summary>
    public static Picture? Of(SoftmaxModel model, string title)
    {
        if (ImageLayout.Of(model.Image, model.Features) is not { } shape) return null;
        double scale = 0;   // the largest |w|, one scale for every class
        for (int c = 0; c < model.Classes; c++)
            foreach (var v in model.WeightRow(c)) scale = Math.Max(scale, Math.Abs(v));
        var tiles = Enumerable.Range(0, model.Classes).Select(c => new Tile(ImageLayout.Diverging(model.WeightRow(c), shape, scale), model.ClassNames[c])).ToList();
        var grid = TileGrid.Of(shape, tiles, Math.Min(5, tiles.Count), title);
        int width = Math.Max(grid.Width, 360), height = grid.Height + BarHeight;
        return new Picture(width, height, canvas =>
        {
            grid.Draw(canvas);
            ColourBar(canvas, width / 2f - 128, height - BarHeight + 8, scale, shape.Channels != 3);
        });
    }

    /// <summary>A 256-pixel bar of the map from −scale to +scale with its three values written under it.</summary>
    private static void ColourBar(SKCanvas canvas, float x0, float y0, double scale, bool diverging)
    {
        using var paint = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        for (int i = 0; i < 256; i++)
        {
            double v = (i - 127.5) / 127.5;
            byte grey = (byte)Math.Round(127.5 + 127.5 * v);
            var (r, g, b) = diverging ? ImageLayout.Colour(v) : (grey, grey, grey);
            paint.Color = new SKColor(r, g, b);
            canvas.DrawRect(x0 + i, y0, 1, 14, paint);
        }
        string F(double v) => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
        PlotCanvas.Text(canvas, $"−{F(scale)}", x0, y0 + 32, 12, SKColors.Black);
        PlotCanvas.Text(canvas, "0", x0 + 128, y0 + 32, 12, SKColors.Black);
        PlotCanvas.Text(canvas, $"+{F(scale)}", x0 + 256, y0 + 32, 12, SKColors.Black);
    }
}

using System.Text;
using Softmax.Model;

namespace Softmax.Samples;

/// <summary>Draws each class's weights as a greyscale picture (binary PGM, "P5"): black = most negative, white = most positive.</summary>
public static class WeightPictures
{
    /// <summary>Writes class_&lt;name&gt;.pgm per class and all_classes.pgm side by side; returns the paths.</summary>
    public static IReadOnlyList<string> Write(SoftmaxModel model, string directory, int scale)
    {
        var image = model.Image ?? throw new ArgumentException("The model has no image shape.", nameof(model));
        int h = image.Height, w = image.Width;
        var paths = new List<string>();
        var tiles = new byte[model.Classes][];
        for (int c = 0; c < model.Classes; c++)
        {
            var row = model.WeightRow(c);
            double lo = double.MaxValue, hi = double.MinValue;
            foreach (var v in row) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            var tile = new byte[h * scale * w * scale];
            for (int y = 0; y < h * scale; y++)
                for (int x = 0; x < w * scale; x++)
                {
                    double v = row[(y / scale) * w + x / scale];   // first channel of (H, W, C) pixels when C = 1
                    tile[y * w * scale + x] = (byte)Math.Round(255 * (hi > lo ? (v - lo) / (hi - lo) : 0.5));
                }
            tiles[c] = tile;
            string name = string.Concat(model.ClassNames[c].Select(ch => char.IsLetterOrDigit(ch) ? ch : '_'));
            paths.Add(Save(Path.Combine(directory, $"class_{name}.pgm"), w * scale, h * scale, tile));
        }
        int tw = w * scale, th = h * scale, gap = 2, total = model.Classes * (tw + gap) - gap;
        var strip = new byte[total * th];
        Array.Fill(strip, (byte)255);
        for (int c = 0; c < model.Classes; c++)
            for (int y = 0; y < th; y++)
                Array.Copy(tiles[c], y * tw, strip, y * total + c * (tw + gap), tw);
        paths.Add(Save(Path.Combine(directory, "all_classes.pgm"), total, th, strip));
        return paths;
    }

    private static string Save(string path, int width, int height, byte[] pixels)
    {
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"P5\n{width} {height}\n255\n"));
        file.Write(pixels);
        return path;
    }
}

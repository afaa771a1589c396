using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Plots;

/// <summary>
/// The learned weights of each class drawn as an image (the course's "visualize the learned weights"): W[c] reshaped
/// to the input's picture shape and stretched to 0..255 per class. Only image data have pictures.
/// </summary>
public static class WeightPictures
{
    /// <summary>The tiles and their shape, or null when the model's rows are not pictures.</summary>
    public static (ImageShape Shape, List<Tile> Tiles)? Tiles(SoftmaxModel model)
    {
        var shape = ImageLayout.Of(model.Image, model.Features);
        if (shape is null) return null;
        var tiles = new List<Tile>();
        for (int c = 0; c < model.Classes; c++) tiles.Add(new Tile(ImageLayout.ToRgb(model.WeightRow(c), shape), model.ClassNames[c]));
        return (shape, tiles);
    }

    /// <summary>Writes weights.png and weights.svg into <paramref name="directory"/>; returns the paths (none when not image data).</summary>
    public static string[] Save(SoftmaxModel model, string directory, string title)
    {
        if (Tiles(model) is not { } t) return [];
        int columns = Math.Min(5, t.Tiles.Count);
        var (w, h, _) = TileGrid.Measure(t.Shape, t.Tiles.Count, columns, title);
        return PlotCanvas.Save(Path.Combine(directory, "weights"), w, h, canvas => TileGrid.Draw(canvas, t.Shape, t.Tiles, columns, title));
    }

    /// <summary>The same picture as PNG bytes, or null.</summary>
    public static byte[]? Png(SoftmaxModel model, string title)
    {
        if (Tiles(model) is not { } t) return null;
        int columns = Math.Min(5, t.Tiles.Count);
        var (w, h, _) = TileGrid.Measure(t.Shape, t.Tiles.Count, columns, title);
        return PlotCanvas.Png(w, h, canvas => TileGrid.Draw(canvas, t.Shape, t.Tiles, columns, title));
    }
}

using SkiaSharp;
using Softmax.Data;

namespace Softmax.Cli.Plots;

/// <summary>One picture of a grid: RGB bytes (height × width × 3) and up to two caption lines.</summary>
public sealed record Tile(byte[] Rgb, string Caption, string? Detail = null);

/// <summary>
/// Draws images as a grid of tiles, each pixel an upscaled square (so an 8×8 digit stays crisp), with the caption
/// under it. Used for the learned-weight pictures and for the report's gallery of mistakes.
/// </summary>
public static class TileGrid
{
    /// <summary><paramref name="tiles"/> in <paramref name="columns"/> columns, under <paramref name="title"/> when given.</summary>
    public static Picture Of(ImageShape shape, IReadOnlyList<Tile> tiles, int columns, string? title)
    {
        int scale = Math.Max(1, 128 / Math.Max(shape.Width, shape.Height));
        int tileW = shape.Width * scale, tileH = shape.Height * scale;
        columns = Math.Clamp(columns, 1, Math.Max(1, tiles.Count));
        int rows = (tiles.Count + columns - 1) / columns;
        int cellW = Math.Max(tileW, 120) + 16, cellH = tileH + 48;
        int top = title is null ? 8 : 40, width = columns * cellW + 16;
        return new Picture(width, top + rows * cellH + 8, canvas =>
        {
            if (title is not null) PlotCanvas.Text(canvas, title, width / 2f, 26, 18, SKColors.Black);
            using var paint = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
            using var frame = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, Color = SKColors.Gray, StrokeWidth = 1 };
            for (int t = 0; t < tiles.Count; t++)
            {
                int cx = 8 + (t % columns) * cellW, cy = top + (t / columns) * cellH;
                float x0 = cx + (cellW - tileW) / 2f, y0 = cy;
                var rgb = tiles[t].Rgb;
                for (int y = 0; y < shape.Height; y++)
                    for (int x = 0; x < shape.Width; x++)
                    {
                        int i = (y * shape.Width + x) * 3;
                        paint.Color = new SKColor(rgb[i], rgb[i + 1], rgb[i + 2]);
                        canvas.DrawRect(x0 + x * scale, y0 + y * scale, scale, scale, paint);
                    }
                canvas.DrawRect(x0 - 0.5f, y0 - 0.5f, tileW + 1, tileH + 1, frame);
                PlotCanvas.Text(canvas, PlotCanvas.Clip(tiles[t].Caption, 18), cx + cellW / 2f, y0 + tileH + 18, 14, SKColors.Black);
                if (tiles[t].Detail is { } detail)
                    PlotCanvas.Text(canvas, PlotCanvas.Clip(detail, 22), cx + cellW / 2f, y0 + tileH + 36, 12, SKColors.DimGray);
            }
        });
    }
}

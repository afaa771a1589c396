using SkiaSharp;
using Softmax.Cli.Infrastructure;
using Softmax.IO;

namespace Softmax.Cli.Plots;

/// <summary>A picture: its size and the code that draws it on a canvas (PNG or SVG, see <see cref="PlotCanvas"/>).</summary>
public sealed record Picture(int Width, int Height, Action<SKCanvas> Draw);

/// <summary>
/// Draws one picture twice, as PNG and as SVG, through the same <see cref="SKCanvas"/> code, each file written
/// atomically. Text uses DejaVu Sans from the system when present (Debian: fonts-dejavu-core), so labels render
/// the same on a bare machine as on a desktop.
/// </summary>
public static class PlotCanvas
{
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];

    // The typeface of every label.
    private static readonly Lazy<SKTypeface> Typeface = new(() =>
        FontFiles.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null)
        ?? SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default);

    /// <summary>The DejaVu Sans file found on this machine, or null.</summary>
    public static string? FontFile => FontFiles.FirstOrDefault(File.Exists);

    /// <summary>Writes <paramref name="basePath"/>.png and .svg of <paramref name="picture"/>; returns both paths.</summary>
    public static string[] Save(string basePath, Picture picture)
    {
        string png = basePath + ".png", svg = basePath + ".svg";
        AtomicFile.WriteStream(png, stream => stream.Write(Png(picture)));
        AtomicFile.WriteStream(svg, stream =>
        {
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, picture.Width, picture.Height), stream);
            canvas.Clear(SKColors.White);
            picture.Draw(canvas);
        });
        return [png, svg];
    }

    /// <summary>Encodes <paramref name="picture"/> as PNG bytes (also for the HTML report).</summary>
    public static byte[] Png(Picture picture)
    {
        using var surface = SKSurface.Create(new SKImageInfo(picture.Width, picture.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.White);
        picture.Draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Text centred at x with its baseline at y.</summary>
    public static void Text(SKCanvas canvas, string text, float x, float y, float size, SKColor color, SKTextAlign align = SKTextAlign.Center)
    {
        using var font = new SKFont(Typeface.Value, size) { Subpixel = true, Edging = SKFontEdging.Antialias };
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, y, align, font, paint);
    }

    /// <summary>Shortens a label to <paramref name="max"/> characters.</summary>
    public static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

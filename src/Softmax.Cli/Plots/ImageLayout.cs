using Softmax.Data;

namespace Softmax.Cli.Plots;

/// <summary>How a feature row becomes a picture: the recorded <see cref="ImageShape"/>, or the usual sizes.</summary>
public static class ImageLayout
{
    /// <summary>The shape of rows of <paramref name="features"/> values, or null when they are not a picture.</summary>
    public static ImageShape? Of(ImageShape? recorded, int features) => recorded ?? features switch
    {
        64 => new ImageShape(8, 8),
        784 => new ImageShape(28, 28),
        1024 => new ImageShape(32, 32),
        3072 => new ImageShape(32, 32, 3, ChannelPlanar: true),
        _ => null,
    };

    /// <summary>
    /// Maps one row to display bytes (height × width × 3, RGB interleaved), stretched so the row's minimum is 0 and its
    /// maximum 255 (all channels together, as the course's weight pictures are drawn).
    /// </summary>
    public static byte[] ToRgb(ReadOnlySpan<double> row, ImageShape shape)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in row) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        double span = hi > lo ? hi - lo : 1;
        var rgb = new byte[shape.Height * shape.Width * 3];
        for (int y = 0; y < shape.Height; y++)
            for (int x = 0; x < shape.Width; x++)
                for (int ch = 0; ch < 3; ch++)
                {
                    int source = shape.IndexOf(y, x, shape.Channels == 3 ? ch : 0);
                    rgb[(y * shape.Width + x) * 3 + ch] = (byte)Math.Round(255 * (row[source] - lo) / span);
                }
        return rgb;
    }

    /// <summary>
    /// Maps a weight row to display bytes with a diverging colour map around 0, on a scale shared by every class
    /// (<paramref name="scale"/> = the largest |w|): white at 0, pure red at +scale, pure blue at −scale. RGB images
    /// (three channels) keep their colours: grey at 0, each channel 127.5 ± 127.5·w/scale. The serve page draws the
    /// same map (src/Softmax.Serving/wwwroot/app.js).
    /// </summary>
    public static byte[] Diverging(ReadOnlySpan<double> row, ImageShape shape, double scale)
    {
        double s = scale > 0 ? scale : 1;
        var rgb = new byte[shape.Height * shape.Width * 3];
        for (int y = 0; y < shape.Height; y++)
            for (int x = 0; x < shape.Width; x++)
            {
                int o = (y * shape.Width + x) * 3;
                if (shape.Channels == 3)
                    for (int ch = 0; ch < 3; ch++) rgb[o + ch] = Byte(127.5 + 127.5 * row[shape.IndexOf(y, x, ch)] / s);
                else
                    (rgb[o], rgb[o + 1], rgb[o + 2]) = Colour(row[shape.IndexOf(y, x, 0)] / s);
            }
        return rgb;
    }

    /// <summary>The diverging map at <paramref name="v"/> in [−1, 1]: blue, white, red.</summary>
    public static (byte R, byte G, byte B) Colour(double v)
    {
        v = Math.Clamp(v, -1, 1);
        return (Byte(255 * (1 - Math.Max(0, -v))), Byte(255 * (1 - Math.Abs(v))), Byte(255 * (1 - Math.Max(0, v))));
    }

    private static byte Byte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}

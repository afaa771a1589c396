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
}

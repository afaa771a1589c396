namespace Softmax.Data;

/// <summary>
/// How a feature row maps to an image: <paramref name="Height"/> × <paramref name="Width"/> pixels with
/// <paramref name="Channels"/> channels. When <paramref name="ChannelPlanar"/> is true the row holds each channel's
/// plane in turn (CIFAR: 1024 R, 1024 G, 1024 B); otherwise channels are interleaved per pixel.
/// </summary>
public sealed record ImageShape(int Height, int Width, int Channels = 1, bool ChannelPlanar = true)
{
    /// <summary>
    /// The data's declared range: the largest value a pixel can take (255 for 8-bit images, 16 for the digits set), or
    /// null when not declared. <see cref="PreprocessKind.Scale"/> divides by it by default.
    /// </summary>
    public float? MaxValue { get; init; }

    /// <summary>Pixels × channels.</summary>
    public int Length => Height * Width * Channels;

    /// <summary>Index in the feature row of pixel (y, x), channel ch.</summary>
    public int IndexOf(int y, int x, int ch) =>
        ChannelPlanar ? ch * Height * Width + y * Width + x : (y * Width + x) * Channels + ch;
}

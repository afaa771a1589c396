using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using Softmax.Model;

namespace Softmax.Samples;

/// <summary>
/// Draws each class's weights as a PNG with the diverging map the `softmax` tool uses: white at 0, red for positive
/// weights (evidence for the class), blue for negative, on one scale shared by all classes.
/// </summary>
public static class WeightPictures
{
    /// <summary>Writes class_&lt;name&gt;.png per class and all_classes.png side by side; returns the paths.</summary>
    public static IReadOnlyList<string> Write(SoftmaxModel model, string directory, int scale)
    {
        var image = model.Image ?? throw new ArgumentException("The model has no image shape.", nameof(model));
        int h = image.Height, w = image.Width;
        double max = 1e-12;
        for (int c = 0; c < model.Classes; c++) foreach (var v in model.WeightRow(c)) max = Math.Max(max, Math.Abs(v));
        var paths = new List<string>();
        var tiles = new byte[model.Classes][];
        int tw = w * scale, th = h * scale;
        for (int c = 0; c < model.Classes; c++)
        {
            var row = model.WeightRow(c);
            var tile = new byte[th * tw * 3];
            for (int y = 0; y < th; y++)
                for (int x = 0; x < tw; x++)
                {
                    double v = Math.Clamp(row[(y / scale) * w + x / scale] / max, -1, 1);   // first channel when C = 1
                    int o = (y * tw + x) * 3;
                    tile[o] = (byte)Math.Round(255 * (1 - Math.Max(0, -v)));
                    tile[o + 1] = (byte)Math.Round(255 * (1 - Math.Abs(v)));
                    tile[o + 2] = (byte)Math.Round(255 * (1 - Math.Max(0, v)));
                }
            tiles[c] = tile;
            string name = string.Concat(model.ClassNames[c].Select(ch => char.IsLetterOrDigit(ch) ? ch : '_'));
            paths.Add(Png.Save(Path.Combine(directory, $"class_{name}.png"), tw, th, tile));
        }
        int gap = 2, total = model.Classes * (tw + gap) - gap;
        var strip = new byte[total * th * 3];
        Array.Fill(strip, (byte)255);
        for (int c = 0; c < model.Classes; c++)
            for (int y = 0; y < th; y++)
                Array.Copy(tiles[c], y * tw * 3, strip, (y * total + c * (tw + gap)) * 3, tw * 3);
        paths.Add(Png.Save(Path.Combine(directory, "all_classes.png"), total, th, strip));
        return paths;
    }
}

/// <summary>A minimal PNG writer (8-bit RGB, no filtering): signature, IHDR, one zlib IDAT, IEND.</summary>
public static class Png
{
    /// <summary>Writes <paramref name="rgb"/> (height × width × 3 bytes) to <paramref name="path"/>; returns the path.</summary>
    public static string Save(string path, int width, int height, byte[] rgb)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;   // bit depth
        header[9] = 2;   // colour type: RGB
        Chunk(file, "IHDR", header);
        using var pixels = new MemoryStream();
        using (var zlib = new ZLibStream(pixels, CompressionLevel.Optimal, leaveOpen: true))
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0);   // filter: none
                zlib.Write(rgb, y * width * 3, width * 3);
            }
        Chunk(file, "IDAT", pixels.ToArray());
        Chunk(file, "IEND", []);
        return path;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        s.Write(length);
        var typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        s.Write(typed);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typed));
        s.Write(crc);
    }
}

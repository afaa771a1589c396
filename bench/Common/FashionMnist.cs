using System.Buffers.Binary;
using System.IO.Compression;

namespace Softmax.Bench.Common;

/// <summary>
/// Minimal IDX reader for the bench peers, independent of src/ so that a peer never depends on the engine.
/// Images are kept as raw bytes (row-major, N×784); <see cref="ToUnitFloat"/> gives x = pixel/255.
/// </summary>
public sealed record FashionMnistSplit(byte[] Pixels, int[] Labels, int Rows, int Features)
{
    /// <summary>x = pixel/255 as float32, row-major (Rows, Features).</summary>
    public float[] ToUnitFloat()
    {
        var x = new float[Pixels.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = Pixels[i] / 255f;
        }
        return x;
    }
}

/// <summary>Loads the Debian dataset-fashion-mnist IDX files (gzip).</summary>
public static class FashionMnist
{
    /// <summary>Folder of the Debian package, overridable by FASHION_MNIST_DIR.</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") ?? "/usr/share/datasets/fashion-mnist";

    /// <summary>Reads "train" or "t10k".</summary>
    public static FashionMnistSplit Load(string split)
    {
        string images = Path.Combine(Directory, $"{split}-images-idx3-ubyte.gz");
        string labels = Path.Combine(Directory, $"{split}-labels-idx1-ubyte.gz");
        byte[] img = ReadGzip(images);
        byte[] lab = ReadGzip(labels);
        Expect(images, BinaryPrimitives.ReadInt32BigEndian(img), 2051, "image magic");
        Expect(labels, BinaryPrimitives.ReadInt32BigEndian(lab), 2049, "label magic");
        int n = BinaryPrimitives.ReadInt32BigEndian(img.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(img.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(img.AsSpan(12));
        Expect(labels, BinaryPrimitives.ReadInt32BigEndian(lab.AsSpan(4)), n, "label count");
        int d = rows * cols;
        Expect(images, img.Length, 16 + n * d, "file length");
        var pixels = img.AsSpan(16, n * d).ToArray();
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = lab[8 + i];
        }
        return new FashionMnistSplit(pixels, y, n, d);
    }

    private static byte[] ReadGzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    private static void Expect(string path, int found, int expected, string what)
    {
        if (found != expected)
        {
            throw new InvalidDataException($"{path}: {what}: expected {expected}, found {found}");
        }
    }
}

using Softmax.Bench.Common;
using Softmax.Data;

namespace Softmax.Bench;

/// <summary>The datasets of the bench, built the way a user of the library would build them.</summary>
public static class Workloads
{
    /// <summary>Fashion-MNIST train and test as the library loads them: uint8 pixels, class names "0".."9".</summary>
    public static (Dataset Train, Dataset Test) FashionMnistBytes() =>
        NamedDatasets.Load("fashion-mnist", FashionMnist.Directory);

    /// <summary>The same rows with the scale x = pixel/255 applied on the fly by the engine (1 byte per value).</summary>
    public static Dataset Scaled(Dataset bytes) =>
        bytes.WithFeatures(((ByteMatrix)bytes.Features).WithScale(1f / 255f));

    /// <summary>The same rows stored as float32 x = pixel/255 (4 bytes per value); expects raw bytes.</summary>
    public static Dataset Float32(Dataset bytes)
    {
        var src = (ByteMatrix)bytes.Features;
        var dense = new DenseMatrix(src.Rows, src.Columns);
        for (int i = 0; i < src.Rows; i++)
        {
            var row = src.Row(i);
            var dst = dense.Row(i);
            for (int k = 0; k < row.Length; k++)
            {
                dst[k] = row[k] / 255f;
            }
        }
        return bytes.WithFeatures(dense);
    }

    /// <summary>CIFAR-10-shaped synthetic rows: 50000 × 3072 random bytes, C = 10 random labels, x = byte/255.</summary>
    public static Dataset CifarShapeBytes(int rows = 50000, int features = 3072, int classes = 10)
    {
        var rng = new Random(1);
        var data = new byte[(long)rows * features];
        rng.NextBytes(data);
        return new Dataset(new ByteMatrix(data, rows, features, 1f / 255f), Labels(rng, rows, classes), Names(classes),
            name: "cifar-shape");
    }

    /// <summary>Many classes: 100000 × 512 float32 values uniform in [0, 1), C = 1000 random labels.</summary>
    public static Dataset ManyClasses(int rows = 100000, int features = 512, int classes = 1000)
    {
        var rng = new Random(2);
        var dense = new DenseMatrix(rows, features);
        for (int i = 0; i < rows; i++)
        {
            var row = dense.Row(i);
            for (int k = 0; k < row.Length; k++)
            {
                row[k] = rng.NextSingle();
            }
        }
        return new Dataset(dense, Labels(rng, rows, classes), Names(classes), name: "many-classes");
    }

    /// <summary>The shared scoring view of a uint8 Fashion-MNIST split (no copy of the pixels).</summary>
    public static FashionMnistSplit ForScoring(Dataset bytes)
    {
        var m = (ByteMatrix)bytes.Features;
        return new FashionMnistSplit(m.Data, bytes.Labels, m.Rows, m.Columns);
    }

    /// <summary>A fixed small random point θ = (W, b), so the kernels see non-trivial probabilities.</summary>
    public static double[] RandomTheta(int dimension, int seed = 3)
    {
        var rng = new Random(seed);
        var theta = new double[dimension];
        for (int i = 0; i < theta.Length; i++)
        {
            theta[i] = (rng.NextDouble() - 0.5) * 2e-3;
        }
        return theta;
    }

    private static int[] Labels(Random rng, int rows, int classes)
    {
        var y = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            y[i] = rng.Next(classes);
        }
        return y;
    }

    private static string[] Names(int classes) =>
        Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

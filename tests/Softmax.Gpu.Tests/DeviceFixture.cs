using Softmax.Data;

namespace Softmax.Gpu.Tests;

/// <summary>One ILGPU CPU accelerator for the whole test run (kernels compile once).</summary>
public sealed class DeviceFixture : IDisposable
{
    public GpuDevice Device { get; } = GpuDevice.CreateCpuAccelerator();

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition("gpu")]
public sealed class GpuCollection : ICollectionFixture<DeviceFixture>;

internal static class Data
{
    /// <summary>Random dense rows; labels correlated with the first features so the problem is learnable.</summary>
    public static Dataset Dense(int n, int d, int c, int seed, bool weights = false, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new DenseMatrix(n, d);
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(c);
            for (int k = 0; k < d; k++) x[i, k] = (float)(rng.NextDouble() * 2 - 1) * scale + (k == y[i] % d ? 1.5f * scale : 0f);
        }
        float[]? w = weights ? Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 3)).ToArray() : null;
        return new Dataset(x, y, Enumerable.Range(0, c).Select(i => i.ToString()).ToArray(), w);
    }

    public static Dataset Bytes(int n, int d, int c, int seed, float scale = 1f / 255)
    {
        var rng = new Random(seed);
        var b = new byte[n * d];
        rng.NextBytes(b);
        var y = Enumerable.Range(0, n).Select(_ => rng.Next(c)).ToArray();
        return new Dataset(new ByteMatrix(b, n, d, scale), y, Enumerable.Range(0, c).Select(i => i.ToString()).ToArray());
    }

    public static double[] Theta(int c, int d, int seed, double scale)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, c * d + c).Select(_ => (rng.NextDouble() - 0.5) * scale).ToArray();
    }

    public static double RelErr(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    public static double Rel(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), 1e-300);
}

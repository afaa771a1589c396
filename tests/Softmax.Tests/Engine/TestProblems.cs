using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Tests.Engine;

/// <summary>Small random problems in the three storage layouts, and norm helpers shared by the engine and solver tests.</summary>
public static class TestProblems
{
    /// <summary>Standard normal draws (Box–Muller) from a seeded generator.</summary>
    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static string[] Names(int classes) => Enumerable.Range(0, classes).Select(c => "c" + c).ToArray();

    /// <summary>Dense float32 rows of N(0, scale²), uniform random labels.</summary>
    public static Dataset Dense(int rows, int features, int classes, int seed, double scale = 1, float[]? weights = null)
    {
        var rng = new Random(seed);
        var x = new float[rows * features];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(scale * Gaussian(rng));
        var y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = rng.Next(classes);
        return new Dataset(DenseMatrix.FromRowMajor(x, rows, features), y, Names(classes), weights);
    }

    /// <summary>
    /// A linearly structured problem (labels drawn from a softmax of a hidden W·x), so the optimum is interior and
    /// the solvers have something to learn.
    /// </summary>
    public static Dataset Separable(int rows, int features, int classes, int seed)
    {
        var rng = new Random(seed);
        var w = new double[classes * features];
        for (int i = 0; i < w.Length; i++) w[i] = Gaussian(rng);
        var x = new float[rows * features];
        var y = new int[rows];
        var o = new double[classes];
        var p = new double[classes];
        for (int j = 0; j < rows; j++)
        {
            for (int d = 0; d < features; d++) x[j * features + d] = (float)Gaussian(rng);
            for (int c = 0; c < classes; c++)
            {
                double s = 0;
                for (int d = 0; d < features; d++) s += w[c * features + d] * x[j * features + d];
                o[c] = s;
            }
            StableMath.Softmax(o, p);
            double u = rng.NextDouble(), acc = 0;
            y[j] = classes - 1;
            for (int c = 0; c < classes; c++) { acc += p[c]; if (u < acc) { y[j] = c; break; } }
        }
        return new Dataset(DenseMatrix.FromRowMajor(x, rows, features), y, Names(classes));
    }

    /// <summary>
    /// The same rows as uint8 pixels (ByteMatrix, scaled by 1/255 on the fly), as dense float32 and as CSR.
    /// About 60 % of the bytes are zero so the CSR rows are genuinely sparse. The dense values are exactly what
    /// <see cref="ByteMatrix.CopyRow(int, Span{float})"/> yields, so all three hold identical float32 numbers.
    /// </summary>
    public static (Dataset Bytes, Dataset Dense, Dataset Csr) ThreeLayouts(int rows, int features, int classes, int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[rows * features];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = rng.NextDouble() < 0.6 ? (byte)0 : (byte)rng.Next(1, 256);
        var y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = rng.Next(classes);
        var byteMatrix = new ByteMatrix(bytes, rows, features, 1f / 255f);
        var dense = new DenseMatrix(rows, features);
        var pointers = new long[rows + 1];
        var cols = new List<int>();
        var vals = new List<float>();
        var row = new float[features];
        for (int i = 0; i < rows; i++)
        {
            byteMatrix.CopyRow(i, row);
            row.CopyTo(dense.Row(i));
            for (int d = 0; d < features; d++)
                if (row[d] != 0) { cols.Add(d); vals.Add(row[d]); }
            pointers[i + 1] = cols.Count;
        }
        var csr = new CsrMatrix(pointers, cols.ToArray(), vals.ToArray(), rows, features);
        var names = Names(classes);
        return (new Dataset(byteMatrix, y, names), new Dataset(dense, y, names), new Dataset(csr, y, names));
    }

    /// <summary>Random θ of length C·D + C, rounded to float32 values so the float32 engine sees exactly the same numbers.</summary>
    public static double[] Theta(int classes, int features, int seed, double scale = 0.5)
    {
        var rng = new Random(seed);
        var t = new double[classes * features + classes];
        for (int i = 0; i < t.Length; i++) t[i] = (float)(scale * Gaussian(rng));
        return t;
    }

    public static double InfNorm(ReadOnlySpan<double> v)
    {
        double m = 0;
        foreach (var x in v) m = Math.Max(m, Math.Abs(x));
        return m;
    }

    /// <summary>‖a − b‖∞ / max(‖b‖∞, 1e-300): the norm-based relative error used for gradients.</summary>
    public static double RelativeInf(ReadOnlySpan<double> a, ReadOnlySpan<double> reference)
    {
        double diff = 0;
        for (int i = 0; i < a.Length; i++) diff = Math.Max(diff, Math.Abs(a[i] - reference[i]));
        return diff / Math.Max(InfNorm(reference), 1e-300);
    }

    public static double Relative(double a, double reference) => Math.Abs(a - reference) / Math.Max(Math.Abs(reference), 1e-300);

    /// <summary>F and gradient of the data term averaged over <paramref name="rows"/> (λ = 0).</summary>
    public static (double F, double[] G) Evaluate(ISoftmaxLoss loss, double[] theta, RowSet rows)
    {
        var objective = new SoftmaxObjective(loss, 0);
        var g = new double[objective.Dimension];
        double f = objective.ValueAndGradient(theta, g, rows);
        return (f, g);
    }

    public static (double F, double[] G) Evaluate(ISoftmaxLoss loss, double[] theta) => Evaluate(loss, theta, RowSet.Range(0, loss.Rows));

    /// <summary>Every explicit kernel variant; a test over one that this processor cannot run is skipped (<see cref="SkipUnlessRunnable"/>).</summary>
    public static readonly KernelVariant[] AllVariants = [KernelVariant.Avx512, KernelVariant.Portable];

    /// <summary>Each value paired with every kernel variant, for a theory over both.</summary>
    public static TheoryData<int, KernelVariant> WithVariants(params int[] values)
    {
        var data = new TheoryData<int, KernelVariant>();
        foreach (int v in values)
            foreach (var variant in AllVariants) data.Add(v, variant);
        return data;
    }

    /// <summary>Skips the calling test, with the reason, when this processor cannot run <paramref name="variant"/>.</summary>
    public static void SkipUnlessRunnable(KernelVariant variant) =>
        Skip.If(variant == KernelVariant.Avx512 && !Avx512Kernels.IsSupported,
            "this processor lacks AVX-512 (F, BW, DQ and VL), so the AVX-512 kernels cannot run here; the portable kernels are tested");
}

using Softmax.Engine;

namespace Softmax.Data;

/// <summary>Preprocessing steps; each includes the ones before it (scale, then center, then divide by the deviation).</summary>
public enum PreprocessKind
{
    /// <summary>Values are used as they are.</summary>
    None,
    /// <summary>x · scale.</summary>
    Scale,
    /// <summary>x · scale − mean (mean-image subtraction).</summary>
    Center,
    /// <summary>(x · scale − mean) / std per feature; features with zero variance become 0.</summary>
    Standardize,
}

/// <summary>
/// A fitted preprocessing step. Fit it on the training split only (that is the caller's job: fitting on data that
/// includes the test rows leaks them), save <see cref="Kind"/>, <see cref="Scale"/>, <see cref="Mean"/> and
/// <see cref="InverseStd"/> with the model, and rebuild it with the constructor at eval and predict time.
/// "Raw" values are what <see cref="FeatureMatrix.CopyRow(int, Span{float})"/> yields, so a <see cref="ByteMatrix"/> scale already set is
/// applied first.
/// </summary>
public sealed class Preprocessor
{
    /// <summary>The default factor for <see cref="PreprocessKind.Scale"/>: 8-bit pixels to [0, 1].</summary>
    public const float PixelScale = 1f / 255f;

    /// <summary>
    /// 1 / the data's declared range: <see cref="ImageShape.MaxValue"/> when the image declares one, else 1/255 for
    /// uint8 rows, else null (no declared range). The default Scale factor of every trainer (in memory and streamed).
    /// </summary>
    public static float? DeclaredScale(ImageShape? image, bool uint8Rows) =>
        image?.MaxValue is > 0 and { } max ? 1f / max : uint8Rows ? PixelScale : null;

    /// <summary>Rebuilds a fitted preprocessor from saved values.</summary>
    public Preprocessor(PreprocessKind kind, float scale = 1f, float[]? mean = null, float[]? inverseStd = null)
    {
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), "The scale must be finite.");
        if (kind >= PreprocessKind.Center && mean is null) throw new ArgumentException($"{kind} needs the fitted mean.", nameof(mean));
        if (kind == PreprocessKind.Standardize && (inverseStd is null || inverseStd.Length != mean!.Length))
            throw new ArgumentException("Standardize needs an inverse deviation per feature.", nameof(inverseStd));
        CheckFinite(mean, "mean");
        CheckFinite(inverseStd, "inverse deviation");
        Kind = kind;
        Scale = kind == PreprocessKind.None ? 1f : scale;
        Mean = kind >= PreprocessKind.Center ? mean : null;
        InverseStd = kind == PreprocessKind.Standardize ? inverseStd : null;
    }

    /// <summary>Which steps are applied.</summary>
    public PreprocessKind Kind { get; }

    /// <summary>The factor applied first (1 for <see cref="PreprocessKind.None"/>).</summary>
    public float Scale { get; }

    /// <summary>Per-feature mean of the scaled training values (Center, Standardize).</summary>
    public float[]? Mean { get; }

    /// <summary>Per-feature 1/std of the scaled training values, 0 where the variance is 0 (Standardize).</summary>
    public float[]? InverseStd { get; }

    /// <summary>Number of features the fitted vectors cover, or null when any count works.</summary>
    public int? FeatureCount => Mean?.Length;

    /// <summary>
    /// Fits on <paramref name="train"/> (the training split only). <paramref name="scale"/> defaults to 1/255 for
    /// <see cref="PreprocessKind.Scale"/> and to 1 for Center and Standardize.
    /// </summary>
    public static Preprocessor Fit(PreprocessKind kind, Dataset train, float? scale = null) =>
        Fit(kind, [train ?? throw new ArgumentNullException(nameof(train))], scale);

    /// <summary>
    /// Fits on the rows of <paramref name="parts"/> taken in order as one training set (for example a streamed file's
    /// blocks): the same sums in the same order, so the same result as <see cref="Fit(PreprocessKind, Dataset, float?)"/>
    /// on their concatenation, bit for bit. With <paramref name="allReduce"/> the parts are one worker's rows of
    /// <paramref name="features"/> features each: the sums Σx, Σx², n of every worker are added before the moments
    /// are formed, so every worker gets the same fit (equal to one process's up to the association of the sums).
    /// </summary>
    public static Preprocessor Fit(PreprocessKind kind, IEnumerable<Dataset> parts, float? scale = null, IAllReduce? allReduce = null, int features = 0)
    {
        ArgumentNullException.ThrowIfNull(parts);
        float s = scale ?? (kind == PreprocessKind.Scale ? PixelScale : 1f);
        if (kind <= PreprocessKind.Scale) return new Preprocessor(kind, s);
        double[] sum = new double[features], sumSq = new double[features];
        float[] row = new float[features];
        long n = 0;
        foreach (var part in parts)
        {
            int d = part.FeatureCount;
            if (n == 0 && sum.Length == 0) (sum, sumSq, row) = (new double[d], new double[d], new float[d]);
            else if (d != sum.Length) throw new ArgumentException($"The parts have {sum.Length} and {d} features.", nameof(parts));
            for (int i = 0; i < part.Rows; i++, n++)
            {
                part.Features.CopyRow(i, row);
                for (int j = 0; j < d; j++)
                {
                    double x = row[j] * s;
                    sum[j] += x;
                    sumSq[j] += x * x;
                }
            }
        }
        if (allReduce is not null)
        {
            // [Σx (D), Σx² (D), n]: one collective, the same length on every worker.
            double[] message = [.. sum, .. sumSq, n];
            allReduce.SumInPlace(message);
            (sum, sumSq, n) = (message[..sum.Length], message[sum.Length..^1], (long)message[^1]);
        }
        if (n == 0) throw new ArgumentException("Cannot fit on an empty dataset.", nameof(parts));
        return Moments(kind, s, sum, sumSq, n);
    }

    private static Preprocessor Moments(PreprocessKind kind, float s, double[] sum, double[] sumSq, long n)
    {
        int d = sum.Length;
        var mean = new float[d];
        float[]? inverseStd = kind == PreprocessKind.Standardize ? new float[d] : null;
        for (int j = 0; j < d; j++)
        {
            double m = sum[j] / n;
            mean[j] = (float)m;
            if (inverseStd is null) continue;
            double variance = Math.Max(0, sumSq[j] / n - m * m);
            // Relative threshold: a constant column leaves rounding noise of order m² · 1e-16 in the variance.
            inverseStd[j] = variance > 1e-12 * Math.Max(1, m * m) ? (float)(1 / Math.Sqrt(variance)) : 0f;
        }
        return new Preprocessor(kind, s, mean, inverseStd);
    }

    /// <summary>
    /// Applies the step to a whole dataset. Scale keeps a <see cref="ByteMatrix"/> (with the scale set, the engine
    /// scales on the fly) or a <see cref="CsrMatrix"/>; Center and Standardize produce a <see cref="DenseMatrix"/>
    /// and refuse sparse input unless <paramref name="allowDensify"/> is set.
    /// </summary>
    public Dataset Apply(Dataset data, bool allowDensify = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatureCount(data.FeatureCount);
        switch (Kind, data.Features)
        {
            case (PreprocessKind.None, _):
                return data;
            case (PreprocessKind.Scale, ByteMatrix bytes):
                return data.WithFeatures(bytes.WithScale(bytes.Scale * Scale));
            case (PreprocessKind.Scale, CsrMatrix csr):
                var values = new float[csr.NonZeros];
                System.Numerics.Tensors.TensorPrimitives.Multiply(csr.Values, Scale, values);
                return data.WithFeatures(csr.WithValues(values));
            case (_, CsrMatrix csr) when !allowDensify:
                throw new InvalidOperationException(
                    $"{Kind} would turn the sparse {csr.Rows}x{csr.Columns} matrix ({csr.NonZeros} non-zeros) into a dense one of " +
                    $"{(long)csr.Rows * DenseMatrix.PaddedLength(csr.Columns) * 4 / (1 << 20)} MiB; use Scale or None, or force densifying.");
        }
        var dense = new DenseMatrix(data.Rows, data.FeatureCount);
        var raw = new float[data.FeatureCount];
        for (int i = 0; i < data.Rows; i++)
        {
            data.Features.CopyRow(i, raw);
            ApplyRow(raw, dense.Row(i));
        }
        return data.WithFeatures(dense);
    }

    /// <summary>Applies the step to one raw row (for example at predict time). Source and destination may be the same span.</summary>
    public void ApplyRow(ReadOnlySpan<float> raw, Span<float> destination)
    {
        CheckFeatureCount(raw.Length);
        if (destination.Length < raw.Length) throw new ArgumentException("The destination is shorter than the row.", nameof(destination));
        var dst = destination[..raw.Length];
        System.Numerics.Tensors.TensorPrimitives.Multiply(raw, Scale, dst);
        if (Mean is not null) System.Numerics.Tensors.TensorPrimitives.Subtract(dst, Mean, dst);
        if (InverseStd is not null) System.Numerics.Tensors.TensorPrimitives.Multiply(dst, InverseStd, dst);
    }

    private static void CheckFinite(float[]? values, string what)
    {
        if (values is null) return;
        for (int j = 0; j < values.Length; j++)
            if (!float.IsFinite(values[j]))
                throw new ArgumentException($"The preprocessing {what} of feature {j} is {values[j].ToString(System.Globalization.CultureInfo.InvariantCulture)}; it must be finite.");
    }

    private void CheckFeatureCount(int count)
    {
        if (FeatureCount is { } expected && expected != count)
            throw new ArgumentException($"The data have {count} features but the preprocessing was fitted on {expected}.");
    }
}

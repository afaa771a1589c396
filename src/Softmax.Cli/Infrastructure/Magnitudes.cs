using System.Globalization;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// Refuses, before training, feature values so large that float32 training arithmetic overflows on them (sums of
/// x² over the rows, scores W·x): the solver would otherwise fail later with a message about covariances or a NaN
/// objective that names neither the file nor the row. Standardized data are exempt: the mean and deviation are
/// fitted in float64 and bring every column to unit scale.
/// </summary>
public static class Magnitudes
{
    /// <summary>The largest |x · scale| trained on without standardization: x² summed over 10⁸ rows stays below float32's 3.4e38.</summary>
    public const double Limit = 1e15;

    /// <summary>Throws a <see cref="DataFormatException"/> for <paramref name="path"/> naming the first row and feature beyond <see cref="Limit"/>.</summary>
    public static void Check(Dataset data, TrainingOptions options, string path)
    {
        if (data.Features is ByteMatrix || options.Preprocess == PreprocessKind.Standardize) return;
        double scale = options.Preprocess is PreprocessKind.Scale or PreprocessKind.Center ? options.PreprocessScale ?? 1 : 1;
        var row = new float[data.FeatureCount];
        for (int i = 0; i < data.Rows; i++)
        {
            data.Features.CopyRow(i, row);
            for (int j = 0; j < row.Length; j++)
                if (Math.Abs(row[j] * scale) > Limit)
                    throw new DataFormatException(path, null,
                        $"row {i + 1}, feature {j + 1} is {row[j].ToString("R", CultureInfo.InvariantCulture)}; values beyond ±1e15 " +
                        "overflow float32 training arithmetic: rescale the data, or train with --preprocess standardize");
        }
    }
}

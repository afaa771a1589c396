using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Infrastructure;

/// <summary>Batch scoring for the commands: the library's block kernels, with the CLI's conventions for empty data.</summary>
public static class Scoring
{
    /// <summary>Probabilities of every row, row-major (rows × C).</summary>
    public static float[] Proba(SoftmaxModel model, Dataset data) => model.PredictProba(data);

    /// <summary>Accuracy against the dataset's labels (matched to the model's classes by name); NaN for no rows.</summary>
    public static double Accuracy(SoftmaxModel model, Dataset data) => data.Rows == 0 ? double.NaN : model.Score(data);
}

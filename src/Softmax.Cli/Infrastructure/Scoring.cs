using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Infrastructure;

/// <summary>Accuracy for the commands: the library's block kernels, with the CLI's convention for empty data.</summary>
public static class Scoring
{
    /// <summary>Accuracy against the dataset's labels (matched to the model's classes by name); NaN for no rows.</summary>
    public static double Accuracy(SoftmaxModel model, Dataset data) => data.Rows == 0 ? double.NaN : model.Score(data);
}

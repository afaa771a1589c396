using Softmax.Data;
using Softmax.Metrics;
using Softmax.Model;

namespace Softmax.Cli.Metrics;

/// <summary>
/// A model's scores on labelled rows: the library's <see cref="ClassificationMetrics"/> on the model's
/// probabilities, with the rows' probabilities, truth and predictions kept for plots and the report.
/// </summary>
/// <param name="Metrics">All the scores.</param>
/// <param name="Probabilities">Probabilities, row-major (rows × C).</param>
/// <param name="Truth">True class index per row (−1: unknown to the model).</param>
/// <param name="UnseenCategories">Categorical values the model did not see in training (encoded as all zero).</param>
public sealed record Evaluation(ClassificationMetrics Metrics, float[] Probabilities, int[] Truth, int UnseenCategories)
{
    /// <summary>Class names, by index.</summary>
    public string[] Classes => [.. Metrics.Classes];

    /// <summary>Scores <paramref name="model"/> on <paramref name="data"/> (raw rows; the model preprocesses).</summary>
    public static Evaluation Run(SoftmaxModel model, Dataset data, int k = 5, int unseenCategories = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows == 0) throw new ArgumentException("There are no rows to evaluate.");
        var p = model.PredictProba(data);
        var truth = model.MapLabels(data);
        return new Evaluation(ClassificationMetrics.Compute(model.ClassNames, truth, p, k), p, truth, unseenCategories);
    }
}

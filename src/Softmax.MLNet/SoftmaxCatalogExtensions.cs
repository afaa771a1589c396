using Microsoft.ML;

namespace Softmax.MLNet;

/// <summary>Adds the Softmax trainer to ML.NET's multiclass catalog.</summary>
public static class SoftmaxCatalogExtensions
{
    /// <summary>
    /// The Softmax trainer, a drop-in for <c>LbfgsMaximumEntropy</c>: it reads the <c>Features</c> vector and the
    /// key-typed <c>Label</c> and adds <c>Score</c> (class probabilities) and <c>PredictedLabel</c>.
    /// </summary>
    public static SoftmaxMulticlassTrainer Softmax(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        SoftmaxTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SoftmaxMulticlassTrainer(options ?? new SoftmaxTrainerOptions());
    }
}

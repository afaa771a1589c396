using Microsoft.ML;
using Microsoft.ML.Trainers;
using Softmax.Model;

namespace Softmax.MLNet;

/// <summary>
/// ML.NET trainer estimator for the Softmax classifier. <see cref="Fit"/> reads the feature vector and the key-typed
/// label into memory (<see cref="DataViewReader"/>), trains with <see cref="SoftmaxTrainer.Fit"/> and returns a
/// <see cref="SoftmaxPredictionTransformer"/>. The same objective as ML.NET's <c>LbfgsMaximumEntropy</c> up to the
/// scaling of the penalty (see <see cref="SoftmaxTrainerOptions"/>).
/// </summary>
public sealed class SoftmaxMulticlassTrainer : ITrainerEstimator<SoftmaxPredictionTransformer, SoftmaxModel>
{
    // ML.NET lets only its own assemblies construct TrainerInfo or a SchemaShape column; both are taken from the
    // trainer this one replaces, which reads and writes the same columns.
    private static readonly MLContext Shapes = new(seed: 0);

    private readonly SoftmaxTrainerOptions _options;

    /// <summary>Creates the estimator; the options are copied.</summary>
    public SoftmaxMulticlassTrainer(SoftmaxTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Training);
        _options = options.Copy();
        Info = Template().Info;
    }

    /// <summary>The capabilities ML.NET asks a trainer for (those of <c>LbfgsMaximumEntropy</c>).</summary>
    public TrainerInfo Info { get; }

    /// <summary>The result of the last <see cref="Fit"/>: solver report, objective, time; null before.</summary>
    public TrainingResult? LastResult { get; private set; }

    /// <summary>Trains on <paramref name="input"/>.</summary>
    public SoftmaxPredictionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var data = DataViewReader.Read(input, _options);
        if (data.Rows == 0) throw new InvalidOperationException("No usable training rows (every label missing, or a feature NaN).");
        var result = SoftmaxTrainer.Fit(data, _options.Training, _options.Progress, _options.CancellationToken);
        LastResult = result;
        return new SoftmaxPredictionTransformer(result.Model, _options.FeatureColumnName);
    }

    /// <summary>The input shape plus <c>Score</c> and <c>PredictedLabel</c>; checks the feature and label columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => Template().GetOutputSchema(inputSchema);

    private LbfgsMaximumEntropyMulticlassTrainer Template() =>
        Shapes.MulticlassClassification.Trainers.LbfgsMaximumEntropy(_options.LabelColumnName, _options.FeatureColumnName, _options.ExampleWeightColumnName);
}

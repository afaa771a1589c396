using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.Model;

namespace Softmax.MLNet;

/// <summary>
/// The fitted Softmax model inside an ML.NET pipeline: adds <c>Score</c> (class probabilities, in key order) and
/// <c>PredictedLabel</c> (a key; its key values are the class names as text) to the data, like ML.NET's multiclass
/// prediction transformers, and works with <c>Evaluate</c> and prediction engines.
/// <para>
/// Saving: ML.NET 5 writes and reads only components that its own assemblies can register (the loader contract,
/// <c>ModelLoadContext</c> and <c>LoadableClassAttribute</c>, is internal), so <c>mlContext.Model.Save</c> cannot
/// carry this transformer. Save a pipeline that ends in it with <see cref="SoftmaxPipelineFile"/>: ML.NET's format for
/// the transforms before it, the library's <see cref="IO.ModelFile"/> (magic, version, checksum) for the model.
/// </para>
/// </summary>
public sealed class SoftmaxPredictionTransformer : ISingleFeaturePredictionTransformer<SoftmaxModel>
{
    /// <summary>Wraps a trained model; <paramref name="featureColumnName"/> must hold <see cref="SoftmaxModel.Features"/> floats.</summary>
    public SoftmaxPredictionTransformer(SoftmaxModel model, string featureColumnName = "Features",
        string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(featureColumnName);
        ArgumentException.ThrowIfNullOrEmpty(scoreColumnName);
        ArgumentException.ThrowIfNullOrEmpty(predictedLabelColumnName);
        Model = model;
        FeatureColumnName = featureColumnName;
        ScoreColumnName = scoreColumnName;
        PredictedLabelColumnName = predictedLabelColumnName;
        FeatureColumnType = new VectorDataViewType(NumberDataViewType.Single, model.Features);
    }

    /// <summary>The trained model (weights, class names, preprocessing).</summary>
    public SoftmaxModel Model { get; }

    /// <summary>The feature column read.</summary>
    public string FeatureColumnName { get; }

    /// <summary>A vector of <see cref="SoftmaxModel.Features"/> Single values.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>The probability column added.</summary>
    public string ScoreColumnName { get; }

    /// <summary>The predicted-key column added.</summary>
    public string PredictedLabelColumnName { get; }

    /// <summary>True: the transformer maps row to row (prediction engines use it).</summary>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Schema(inputSchema).Output;

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoredDataView(Schema(input.Schema), Model, input);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new Mapper(Schema(inputSchema), Model);

    /// <summary>Not supported by ML.NET for components outside its own assemblies: use <see cref="SoftmaxPipelineFile"/>.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            "ML.NET's model format cannot carry the Softmax trainer's transformer (ML.NET 5 keeps its loader contract internal). " +
            "Save the pipeline with Softmax.MLNet.SoftmaxPipelineFile.Save(mlContext, model, inputSchema, path) and load it with SoftmaxPipelineFile.Load.");

    private ScoringSchema Schema(DataViewSchema input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoringSchema(input, Model, FeatureColumnName, ScoreColumnName, PredictedLabelColumnName);
    }

    private sealed class Mapper(ScoringSchema schema, SoftmaxModel model) : IRowToRowMapper
    {
        public DataViewSchema InputSchema => schema.Input;
        public DataViewSchema OutputSchema => schema.Output;
        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) => schema.Dependencies(dependingColumns);
        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) => new ScoredCursor(schema, model, input, ownsInput: false);
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.Model;

namespace Softmax.MLNet;

/// <summary>
/// The output schema of <see cref="SoftmaxPredictionTransformer"/>: the input columns, then <c>Score</c> (a vector of
/// C class probabilities, slot names = class names) and <c>PredictedLabel</c> (a UInt32 key of count C whose key
/// values are the class names as text), the two columns ML.NET's multiclass trainers add.
/// </summary>
internal sealed class ScoringSchema
{
    public const string SlotNamesKind = "SlotNames";

    public ScoringSchema(DataViewSchema input, SoftmaxModel model, string featureColumn, string scoreColumn, string predictedLabelColumn)
    {
        Input = input;
        Feature = DataViewReader.FeatureColumn(input, featureColumn, out int features);
        if (features != model.Features)
            throw new ArgumentException($"The model expects {model.Features} features, but column '{featureColumn}' has {features}.");
        int classes = model.Classes;
        var names = model.ClassNames.Select(n => n.AsMemory()).ToArray();
        var textVector = new VectorDataViewType(TextDataViewType.Instance, classes);
        void Names(ref VBuffer<ReadOnlyMemory<char>> dst) => dst = new VBuffer<ReadOnlyMemory<char>>(names.Length, (ReadOnlyMemory<char>[])names.Clone());

        var scoreAnnotations = new DataViewSchema.Annotations.Builder();
        scoreAnnotations.Add<VBuffer<ReadOnlyMemory<char>>>(SlotNamesKind, textVector, Names);
        var labelAnnotations = new DataViewSchema.Annotations.Builder();
        labelAnnotations.Add<VBuffer<ReadOnlyMemory<char>>>(DataViewReader.KeyValuesKind, textVector, Names);

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(scoreColumn, new VectorDataViewType(NumberDataViewType.Single, classes), scoreAnnotations.ToAnnotations());
        builder.AddColumn(predictedLabelColumn, new KeyDataViewType(typeof(uint), classes), labelAnnotations.ToAnnotations());
        Output = builder.ToSchema();
        ScoreIndex = input.Count;
    }

    public DataViewSchema Input { get; }
    public DataViewSchema Output { get; }
    public DataViewSchema.Column Feature { get; }
    public int ScoreIndex { get; }

    public bool IsAdded(int index) => index >= Input.Count;

    /// <summary>The input columns needed to produce <paramref name="outputColumns"/>.</summary>
    public DataViewSchema.Column[] Dependencies(IEnumerable<DataViewSchema.Column> outputColumns) =>
        outputColumns.Select(c => IsAdded(c.Index) ? Feature.Index : c.Index).Distinct().Order().Select(i => Input[i]).ToArray();
}

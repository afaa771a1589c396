using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.Model;

namespace Softmax.MLNet.Tests;

public sealed class TrainerTests
{
    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    private static IEstimator<ITransformer> Featurize(MLContext ml) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.NormalizeMinMax("Features"));

    [Fact]
    public void Pipeline_adds_probabilities_and_predicted_label_and_evaluates()
    {
        var ml = new MLContext(seed: 0);
        var (train, test) = DigitsData.Load(ml);
        var pipeline = Featurize(ml).Append(ml.MulticlassClassification.Trainers.Softmax(new SoftmaxTrainerOptions
        {
            Training = new TrainingOptions { L2 = 1e-3 },
        }));
        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 10), scored.Schema["Score"].Type);
        Assert.Equal(new KeyDataViewType(typeof(uint), 10), scored.Schema["PredictedLabel"].Type);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.True(metrics.MicroAccuracy > 0.93, $"accuracy {metrics.MicroAccuracy}");
        Assert.True(metrics.LogLoss < 0.3, $"log-loss {metrics.LogLoss}");

        var probabilities = scored.GetColumn<VBuffer<float>>("Score").First().DenseValues().ToArray();
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1.0, probabilities.Sum(), 4);
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["PredictedLabel"].GetKeyValues(ref keyValues);
        var labelValues = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["Label"].GetKeyValues(ref labelValues);
        // MapValueToKey numbers the classes in order of appearance; the predicted key uses the same numbering.
        Assert.Equal(labelValues.DenseValues().Select(v => v.ToString()), keyValues.DenseValues().Select(v => v.ToString()));

        var engine = ml.Model.CreatePredictionEngine<DigitRow, Prediction>(
            model.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored)));
        var row = DigitsData.Rows(Softmax.Data.NamedDatasets.Load("digits").Test)[0];
        var p = engine.Predict(row);
        Assert.Equal(10, p.Score.Length);
        Assert.Equal(row.Label, p.PredictedLabel);
    }

    [Fact]
    public void Wrong_label_type_is_named()
    {
        var ml = new MLContext(seed: 0);
        var (train, _) = DigitsData.Load(ml);
        var trainer = ml.MulticlassClassification.Trainers.Softmax();
        var error = Assert.ThrowsAny<Exception>(() => trainer.Fit(train));
        Assert.Contains("Label", error.Message);
    }

    [Fact]
    public void Pipeline_saves_and_loads_through_the_pipeline_file()
    {
        var ml = new MLContext(seed: 0);
        var (train, test) = DigitsData.Load(ml);
        var model = Featurize(ml).Append(ml.MulticlassClassification.Trainers.Softmax()).Fit(train);

        var native = Assert.Throws<NotSupportedException>(() => ml.Model.Save(model, train.Schema, new MemoryStream()));
        Assert.Contains("SoftmaxPipelineFile", native.Message);

        string path = Path.Combine(Path.GetTempPath(), $"softmax-mlnet-{Guid.NewGuid():N}.zip");
        try
        {
            SoftmaxPipelineFile.Save(ml, model, train.Schema, path);
            var loaded = SoftmaxPipelineFile.Load(new MLContext(seed: 1), path, out var schema);
            Assert.Equal(train.Schema.Count, schema.Count);
            var before = model.Transform(test).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
            var after = loaded.Transform(test).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
            Assert.Equal(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
            var metrics = ml.MulticlassClassification.Evaluate(loaded.Transform(test));
            Assert.True(metrics.MicroAccuracy > 0.93);
        }
        finally { File.Delete(path); }
    }
}

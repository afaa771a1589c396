using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;
using Xunit.Abstractions;

namespace Softmax.MLNet.Tests;

/// <summary>
/// Our trainer against ML.NET's LbfgsMaximumEntropy on the same normalised digits and the same penalty. ML.NET
/// minimises Σ_j CE_j + (L2/2)‖W‖² (a sum), we minimise (1/N) Σ_j CE_j + (λ/2)‖W‖² (a mean): L2 = λ·N.
/// </summary>
public sealed class LbfgsMaximumEntropyComparisonTests(ITestOutputHelper output)
{
    private const double Lambda = 1e-3;

    [Fact]
    public void Same_accuracy_and_objective_as_LbfgsMaximumEntropy_with_L2_scaled_by_N()
    {
        var ml = new MLContext(seed: 0);
        var (trainRaw, testRaw) = DigitsData.Load(ml);
        var featurizer = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.NormalizeMinMax("Features")).Fit(trainRaw);
        var train = ml.Data.Cache(featurizer.Transform(trainRaw));
        var test = featurizer.Transform(testRaw);
        var dataset = DataViewReader.Read(train, new SoftmaxTrainerOptions());
        int n = dataset.Rows;

        var ours = ml.MulticlassClassification.Trainers.Softmax(new SoftmaxTrainerOptions
        {
            Training = new TrainingOptions { L2 = Lambda, Preprocess = PreprocessKind.None, Lbfgs = new LbfgsOptions { GradientTolerance = 1e-9 } },
        });
        var theirs = ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            L2Regularization = (float)(Lambda * n),
            L1Regularization = 0,
            OptimizationTolerance = 1e-10f,
            HistorySize = 20,
            MaximumNumberOfIterations = 10_000,
        });
        ours.Fit(train); theirs.Fit(train); // warm-up: JIT and first-touch costs are not the solvers'

        var clock = Stopwatch.StartNew();
        var oursModel = ours.Fit(train);
        double oursSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var theirsModel = theirs.Fit(train);
        double theirsSeconds = clock.Elapsed.TotalSeconds;

        double oursAccuracy = ml.MulticlassClassification.Evaluate(oursModel.Transform(test)).MicroAccuracy;
        double theirsAccuracy = ml.MulticlassClassification.Evaluate(theirsModel.Transform(test)).MicroAccuracy;

        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(dataset), Lambda);
        double oursF = objective.Value(oursModel.Model.Parameters);
        double theirsF = objective.Value(Theta(theirsModel.Model, dataset.ClassCount, dataset.FeatureCount));
        double relative = Math.Abs(oursF - theirsF) / Math.Abs(oursF);

        output.WriteLine($"N = {n}, λ = {Lambda}, ML.NET L2Regularization = λ·N = {Lambda * n}");
        output.WriteLine($"test accuracy: Softmax {oursAccuracy:F4}, LbfgsMaximumEntropy {theirsAccuracy:F4}");
        output.WriteLine($"F (float64, ReferenceSoftmaxLoss): Softmax {oursF:R}, LbfgsMaximumEntropy {theirsF:R}, relative difference {relative:E2}");
        output.WriteLine($"training time: Softmax {oursSeconds * 1000:F0} ms, LbfgsMaximumEntropy {theirsSeconds * 1000:F0} ms, " +
                         $"speed ratio (ML.NET / Softmax) {theirsSeconds / oursSeconds:F2}");

        Assert.True(Math.Abs(oursAccuracy - theirsAccuracy) <= 0.005, $"accuracy {oursAccuracy} vs {theirsAccuracy}");
        Assert.True(relative < 1e-5, $"F {oursF} vs {theirsF}: relative {relative:E2}");
        Assert.True(oursF <= theirsF * (1 + 1e-9), "our optimum should be at least as low as ML.NET's (float32) one");

        // The scaling matters: ML.NET with L2 = λ (not λ·N) lands elsewhere.
        var unscaled = ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            L2Regularization = (float)Lambda, L1Regularization = 0, OptimizationTolerance = 1e-10f, HistorySize = 20, MaximumNumberOfIterations = 10_000,
        }).Fit(train);
        double unscaledF = objective.Value(Theta(unscaled.Model, dataset.ClassCount, dataset.FeatureCount));
        output.WriteLine($"F at ML.NET's optimum with L2 = λ (unscaled): {unscaledF:R}");
        Assert.True(Math.Abs(unscaledF - oursF) / oursF > 100 * relative);
    }

    /// <summary>θ = [W (C×D row-major), b (C)] from ML.NET's weights and biases.</summary>
    private static double[] Theta(MaximumEntropyModelParameters model, int classes, int features)
    {
        VBuffer<float>[] weights = [];
        model.GetWeights(ref weights, out int count);
        Assert.Equal(classes, count);
        var biases = model.GetBiases().ToArray();
        var theta = new double[classes * features + classes];
        for (int c = 0; c < classes; c++)
        {
            var row = new float[features];
            weights[c].CopyTo(row);
            for (int d = 0; d < features; d++) theta[c * features + d] = row[d];
            theta[classes * features + c] = biases[c];
        }
        return theta;
    }
}

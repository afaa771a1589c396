// The course workflow on the embedded digits: check the gradient, train with SGD, sweep the learning rate, and
// draw the learned weights. Usage: dotnet run --project samples/CourseWorkflow [-- OUTPUT_DIRECTORY]
using System.Globalization;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Samples;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string output = args.Length > 0 ? args[0] : "course-output";
Directory.CreateDirectory(output);

var (all, test) = NamedDatasets.Load("digits");
var (train, validation) = all.Split(0.2, seed: 1);
Console.WriteLine($"digits: {train.Rows} train, {validation.Rows} validation, {test.Rows} test rows; {train.FeatureCount} features, {train.ClassCount} classes");

// 1. Gradient check: the analytic gradient of F (docs/derivation.md) against central differences, in float64, on the
//    slow reference loss (the oracle), at a random point, every coordinate of W and b.
var small = Preprocessor.Fit(PreprocessKind.Standardize, train).Apply(train.Slice(0, 60));
var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(small), l2: 1e-2);
var rng = new Random(0);
var theta = Enumerable.Range(0, objective.Dimension).Select(_ => rng.NextDouble() - 0.5).ToArray();
var check = GradientCheck.Run(objective, theta);
Console.WriteLine($"gradcheck: {check.Checked} coordinates, max relative error {check.MaxRelativeError:E2}, median {check.MedianRelativeError:E2}");

// 2. Mini-batch SGD with momentum on standardized pixels.
TrainingOptions Sgd(double rate, int epochs) => new()
{
    Solver = SolverKind.Sgd,
    L2 = 1e-4,
    Preprocess = PreprocessKind.Standardize,
    Momentum = 0.9,
    MiniBatch = new MiniBatchOptions { LearningRate = rate, BatchSize = 32, Epochs = epochs, Seed = 0 },
};

// 3. Learning-rate sweep: pick the rate by validation accuracy, never by the test set.
Console.WriteLine("learning-rate sweep (10 epochs each):");
double bestRate = 0, bestAccuracy = -1;
foreach (double rate in new[] { 1e-4, 1e-3, 1e-2, 1e-1, 1.0 })
{
    double accuracy;
    try { accuracy = SoftmaxTrainer.Fit(train, Sgd(rate, 10)).Model.Score(validation); }
    catch (TrainingDivergedException) { accuracy = double.NaN; }
    Console.WriteLine($"  rate {rate,-7:G3} validation accuracy {accuracy:F4}");
    if (accuracy > bestAccuracy) (bestRate, bestAccuracy) = (rate, accuracy);
}
Console.WriteLine($"best learning rate {bestRate:G3}");

var final = SoftmaxTrainer.Fit(all, Sgd(bestRate, 30));
double testAccuracy = final.Model.Score(test);
Console.WriteLine($"sgd: {final.Solver.Epochs} epochs, objective {final.Objective:F5}, test accuracy {testAccuracy:F4}");

// 4. Weight pictures: one 8×8 map per class, scaled up, as PNG (red: evidence for the class, blue: against).
var written = WeightPictures.Write(final.Model, output, scale: 8);
Console.WriteLine($"weight pictures: {written.Count} files in {output} ({string.Join(", ", written.Take(2).Select(Path.GetFileName))}, ...)");

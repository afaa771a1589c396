// ML.NET 5.0.1 peer: LbfgsMaximumEntropy and SdcaMaximumEntropy on Fashion-MNIST, scored with the shared
// float64 objective (bench/Common/Objective.cs). One trainer per process, so peak RSS belongs to that trainer.
//
//   dotnet MlNetPeer.dll lbfgs [--tol 1e-7] [--max-iter N] [--label NAME] [--log]
//   dotnet MlNetPeer.dll sdca  [--tol 0.1]  [--max-iter N] [--label NAME]
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Softmax.Bench.Common;

namespace Softmax.Bench.MlNetPeer;

/// <summary>One training row as ML.NET sees it; model class k is label k.</summary>
public sealed class Row
{
    /// <summary>x = pixel/255.</summary>
    [VectorType(784)]
    public float[] Features { get; set; } = [];

    /// <summary>Class index 0..9; LoadFromEnumerable maps it to the key value + 1 (0 would otherwise be "missing").</summary>
    [KeyType(10)]
    public uint Label { get; set; }
}

internal static partial class Program
{
    private const int Classes = 10;

    private static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "lbfgs";
        double? tol = Arg(args, "--tol");
        double? maxIter = Arg(args, "--max-iter");
        string label = ArgString(args, "--label") ?? mode;
        bool log = args.Contains("--log");

        var train = FashionMnist.Load("train");
        var test = FashionMnist.Load("t10k");
        var ml = new MLContext(seed: 1);
        int iterations = 0;
        ml.Log += (_, e) =>
        {
            // ML.NET's L-BFGS reports nothing per iteration at the default verbosity; the trace channel
            // ("Optimizer") prints one line per iteration, which is what we count.
            if (log)
            {
                Console.Error.WriteLine(e.Message);
            }
            if (IterationLine().IsMatch(e.Message))
            {
                iterations++;
            }
        };
        // Rows are built before the clock starts; ML.NET reading them into its own cache is part of its fit.
        IDataView data = ml.Data.LoadFromEnumerable(ToRows(train).ToList());

        var sw = Stopwatch.StartNew();
        MulticlassPredictionTransformer<MaximumEntropyModelParameters> model;
        string config;
        if (mode == "lbfgs")
        {
            var options = new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                L2Regularization = (float)(Objective.Lambda * train.Rows), // ML.NET sums the loss: λ·N matches our mean
                L1Regularization = 0,
            };
            if (tol is double t)
            {
                options.OptimizationTolerance = (float)t;
            }
            if (maxIter is double m)
            {
                options.MaximumNumberOfIterations = (int)m;
            }
            config = $"L2={options.L2Regularization} L1=0 tol={options.OptimizationTolerance:R} " +
                     $"history={options.HistorySize} max_iter={options.MaximumNumberOfIterations}";
            model = ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(options).Fit(data);
        }
        else if (mode == "sdca")
        {
            var options = new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                L2Regularization = (float)Objective.Lambda, // SDCA's loss is a mean: λ as is
                L1Regularization = 0,
            };
            if (tol is double t)
            {
                options.ConvergenceTolerance = (float)t;
            }
            if (maxIter is double m)
            {
                options.MaximumNumberOfIterations = (int)m;
            }
            config = $"L2={options.L2Regularization:R} L1=0 tol={options.ConvergenceTolerance:R} " +
                     $"max_iter={options.MaximumNumberOfIterations?.ToString(CultureInfo.InvariantCulture) ?? "auto"}";
            model = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(options).Fit(data);
        }
        else
        {
            Console.Error.WriteLine($"unknown mode '{mode}': expected lbfgs or sdca");
            return 2;
        }
        double seconds = sw.Elapsed.TotalSeconds;
        double peak = ResultLine.PeakRssMb();

        var (w, b) = Extract(model.Model, train.Features);
        double f = Objective.Value(train, w, b, Classes);
        double acc = Objective.Accuracy(test, w, b, Classes);
        ResultLine.Emit("ML.NET 5.0.1 " + (mode == "lbfgs" ? "LbfgsMaximumEntropy" : "SdcaMaximumEntropy"),
            "fashion-mnist", "fit", seconds, iterations > 0 ? iterations : null, f, acc, peak,
            new Dictionary<string, object?>
            {
                ["label"] = label,
                ["config"] = config,
                ["F_rel_error"] = (f - Objective.FStar) / Objective.FStar,
                ["reached_1e-6"] = (f - Objective.FStar) / Objective.FStar <= 1e-6,
                ["threads"] = Environment.ProcessorCount,
            });
        return 0;
    }

    // W: (C, D) row-major in float64; b: (C).
    private static (double[] W, double[] B) Extract(MaximumEntropyModelParameters p, int d)
    {
        VBuffer<float>[] weights = [];
        p.GetWeights(ref weights, out int classes);
        if (classes != Classes)
        {
            throw new InvalidOperationException($"model has {classes} classes, expected {Classes}");
        }
        var w = new double[classes * d];
        for (int c = 0; c < classes; c++)
        {
            int k = 0;
            foreach (float v in weights[c].DenseValues())
            {
                w[c * d + k++] = v;
            }
        }
        var b = p.GetBiases().Select(v => (double)v).ToArray();
        return (w, b);
    }

    private static IEnumerable<Row> ToRows(FashionMnistSplit s)
    {
        for (int j = 0; j < s.Rows; j++)
        {
            var x = new float[s.Features];
            for (int k = 0; k < x.Length; k++)
            {
                x[k] = s.Pixels[j * s.Features + k] / 255f;
            }
            yield return new Row { Features = x, Label = (uint)s.Labels[j] };
        }
    }

    private static double? Arg(string[] args, string name)
    {
        string? s = ArgString(args, name);
        return s is null ? null : double.Parse(s, CultureInfo.InvariantCulture);
    }

    private static string? ArgString(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    [GeneratedRegex(@"^\s*\d+\s")]
    private static partial Regex IterationLine();
}

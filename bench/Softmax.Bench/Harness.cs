using System.Diagnostics;
using Softmax.Bench.Common;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Bench;

/// <summary>
/// Our engine on the bench workloads, one JSON line per number (schema of bench/Common/ResultLine.cs).
/// Order matters for peak RSS: Fashion-MNIST training runs first, before the large synthetic sets exist.
/// </summary>
public sealed class Harness(bool quick, ISet<string> parts)
{
    private const string Ours = "Softmax (ours)";
    private const double Lambda = Objective.Lambda;
    private readonly int _repeats = quick ? 10 : 20;

    /// <summary>Runs the selected parts: lbfgs, predict, sgd, vg (value+grad on Fashion-MNIST), cifar, many.</summary>
    public void Run()
    {
        var (bytes, testBytes) = Workloads.FashionMnistBytes();
        var scoring = Workloads.ForScoring(bytes);
        var testScoring = Workloads.ForScoring(testBytes);
        SoftmaxModel? model = null;
        if (Wants("lbfgs"))
        {
            model = TimeToOptimum(bytes, "fashion-mnist u8", scoring, testScoring, 1e-6);
            TimeToOptimum(bytes, "fashion-mnist u8", scoring, testScoring, 1e-9);
        }
        if (Wants("predict"))
        {
            model ??= SoftmaxTrainer.Fit(bytes, new TrainingOptions { L2 = Lambda }).Model;
            Predict(model, testBytes);
        }
        if (Wants("sgd"))
        {
            SgdEpochs(bytes, scoring, testScoring);
        }
        if (Wants("vg"))
        {
            var u8 = Workloads.Scaled(bytes);
            ValueAndGradient("fashion-mnist u8", u8, _repeats, 0, scoring);
            var f32 = Workloads.Float32(bytes);
            ValueAndGradient("fashion-mnist f32", f32, _repeats, 0, scoring);
            ValueAndGradient("fashion-mnist f32", f32, _repeats, 1, scoring);
            if (!quick && Wants("lbfgs"))
            {
                TimeToOptimum(f32, "fashion-mnist f32", scoring, testScoring, 1e-6);
            }
        }
        bytes = testBytes = null!;
        if (Wants("cifar"))
        {
            Collect();
            var cifar = Workloads.CifarShapeBytes();
            ValueAndGradient("cifar-shape u8", cifar, _repeats, 0, null);
            var cifar32 = Workloads.Float32(cifar.WithFeatures(((ByteMatrix)cifar.Features).WithScale(1f)));
            cifar = null!;
            Collect();
            ValueAndGradient("cifar-shape f32", cifar32, _repeats, 0, null);
        }
        if (Wants("many"))
        {
            Collect();
            ValueAndGradient("many-classes f32", Workloads.ManyClasses(), quick ? 3 : 5, 0, null);
        }
    }

    private bool Wants(string part) => parts.Count == 0 || parts.Contains(part);

    // One full-batch F and gradient, median of `repeats` after 3 warm-up calls. threads = 0: all cores.
    private static void ValueAndGradient(string workload, Dataset data, int repeats, int threads, FashionMnistSplit? scoring)
    {
        var loss = new CpuSoftmaxLoss(data, new CpuEngineOptions(Threads: threads));
        var objective = new SoftmaxObjective(loss, Lambda);
        var theta = Workloads.RandomTheta(objective.Dimension);
        var grad = new double[objective.Dimension];
        double value = 0;
        var (med, min, _) = Timing.Median(() => value = objective.ValueAndGradient(theta, grad), repeats, warmup: 3);
        var extra = new Dictionary<string, object?>
        {
            ["threads"] = loss.Threads, ["min_seconds"] = min, ["x_bytes"] = data.Features.StorageBytes,
            ["shape"] = $"{data.Rows}x{data.FeatureCount} C={data.ClassCount}",
        };
        if (scoring is not null)
        {
            var (w, b) = Split(theta, objective.Classes, objective.Features);
            double shared = Objective.Value(scoring, w, b, objective.Classes);
            extra["F_rel_error_vs_shared"] = Math.Abs(value - shared) / shared;
        }
        ResultLine.Emit(Ours, workload, "value+grad full batch", med, repeats, extra: extra);
    }

    // L-BFGS (auto precision) to within `relative` of F*: one recorded run finds the first iteration that gets there;
    // a fresh run with that iteration limit is timed and scored with the shared F (the same method as the scikit-learn
    // peer). The margin allows for the float32 phase's F; a float64-polished F is exact, so 1e-9 needs none.
    private SoftmaxModel TimeToOptimum(Dataset data, string workload, FashionMnistSplit scoring, FashionMnistSplit test, double relative)
    {
        double target = Objective.FStar * (1 + relative), margin = relative >= 1e-7 ? 2e-7 : 0;
        var lbfgs = new LbfgsOptions { MaxIterations = 3000, GradientTolerance = 1e-12, RelativeTolerance = 1e-15 };
        using var cts = new CancellationTokenSource();
        var trace = new List<TrainingProgress>();
        var recorder = new Recorder(p =>
        {
            trace.Add(p);
            if (p.Loss <= target * (1 - margin))
            {
                cts.Cancel(); // a margin for float32 arithmetic; the timed run is checked with the shared F
            }
        });
        var learnClock = Stopwatch.StartNew();
        SoftmaxTrainer.Fit(data, new TrainingOptions { L2 = Lambda, Lbfgs = lbfgs }, recorder, cts.Token);
        double learnSeconds = learnClock.Elapsed.TotalSeconds;
        int first = trace.FindIndex(p => p.Loss <= target * (1 - margin));
        int m = first >= 0 ? trace[first].Iteration : lbfgs.MaxIterations;
        Console.Error.WriteLine($"{workload}: learning run {trace.Count} iterations in {learnSeconds:F2} s; target at iteration {m}");

        for (int attempt = 0; ; attempt++)
        {
            var clock = Stopwatch.StartNew();
            var result = SoftmaxTrainer.Fit(data, new TrainingOptions { L2 = Lambda, Lbfgs = lbfgs with { MaxIterations = m } });
            double seconds = clock.Elapsed.TotalSeconds;
            var (w, b) = Split(result.Model.Parameters, result.Model.Classes, result.Model.Features);
            double f = Objective.Value(scoring, w, b, 10);
            bool reached = (f - Objective.FStar) / Objective.FStar <= relative;
            if (reached || attempt == 8 || first < 0)
            {
                ResultLine.Emit(Ours + " L-BFGS", workload, $"time to {relative:0e0}", seconds, result.Solver.Iterations, f,
                    Objective.Accuracy(test, w, b, 10), extra: new Dictionary<string, object?>
                    {
                        ["F_rel_error"] = (f - Objective.FStar) / Objective.FStar, [$"reached_{relative:0e0}"] = reached,
                        ["evaluations"] = result.Solver.Evaluations,
                        ["passes"] = $"{result.Solver.Evaluations + 2} passes over X",
                        ["solver_seconds"] = result.Elapsed.TotalSeconds, ["stop"] = result.Solver.Reason.ToString(),
                        ["learn_seconds"] = learnSeconds, ["threads"] = Environment.ProcessorCount,
                        ["method"] = "max_iter learned from one recorded run, then a fresh timed fit",
                    });
                return result.Model;
            }
            m += relative >= 1e-7 ? 1 : 5;
        }
    }

    // SGD, batch 256, momentum 0.9, lr 0.1 (as the PyTorch peer): epoch 1 is the warm-up, epochs 2..6 are timed.
    private static void SgdEpochs(Dataset data, FashionMnistSplit scoring, FashionMnistSplit test)
    {
        const int Epochs = 10;
        var ends = new List<TimeSpan>();
        var options = new TrainingOptions
        {
            Solver = SolverKind.Sgd, L2 = Lambda, Momentum = 0.9, Seed = 1,
            MiniBatch = new MiniBatchOptions { BatchSize = 256, LearningRate = 0.1, Epochs = Epochs, Seed = 1 },
        };
        var result = SoftmaxTrainer.Fit(data, options, new Recorder(p => ends.Add(p.Elapsed)));
        var epochTimes = new List<double>();
        for (int e = 1; e < Math.Min(6, ends.Count); e++)
        {
            epochTimes.Add((ends[e] - ends[e - 1]).TotalSeconds);
        }
        var sorted = epochTimes.Order().ToArray();
        var (w, b) = Split(result.Model.Parameters, 10, data.FeatureCount);
        double f = Objective.Value(scoring, w, b, 10);
        ResultLine.Emit(Ours, "fashion-mnist", "SGD epoch b=256", sorted[sorted.Length / 2], Epochs, f,
            Objective.Accuracy(test, w, b, 10), extra: new Dictionary<string, object?>
            {
                ["threads"] = Environment.ProcessorCount, ["lr"] = 0.1, ["momentum"] = 0.9,
                ["epoch_times"] = string.Join(" ", epochTimes.Select(t => t.ToString("F5", System.Globalization.CultureInfo.InvariantCulture))),
                ["note"] = "median of 5 epochs after 1 warm-up; uint8 storage; F after 10 epochs",
            });
    }

    private void Predict(SoftmaxModel model, Dataset test)
    {
        int n = test.Rows;
        var (batch, _, _) = Timing.Median(() => model.Predict(test), _repeats, warmup: 2);
        ResultLine.Emit(Ours, "fashion-mnist", "predict batch", batch, _repeats, extra: new Dictionary<string, object?>
        {
            ["rows"] = n, ["rows_per_s"] = n / batch, ["note"] = $"{n / batch / 1e6:F2} M rows/s, 10000 test rows, uint8",
        });
        var rows = new float[n][];
        for (int i = 0; i < n; i++)
        {
            rows[i] = new float[test.FeatureCount];
            test.Features.CopyRow(i, rows[i]);
        }
        int sink = 0;
        var (single, _, _) = Timing.Median(() =>
        {
            foreach (var r in rows)
            {
                sink += model.Predict(r);
            }
        }, quick ? 3 : 7, warmup: 1);
        ResultLine.Emit(Ours, "fashion-mnist", "predict single row", single / n, n, extra: new Dictionary<string, object?>
        {
            ["rows_per_s"] = n / single, ["note"] = $"{single / n * 1e6:F3} µs per row, one thread, raw float row", ["sink"] = sink,
        });
    }

    private static (double[] W, double[] B) Split(double[] theta, int classes, int features) =>
        (theta[..(classes * features)], theta[(classes * features)..(classes * features + classes)]);

    private static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    // Reports synchronously on the training thread (Progress<T> would post to the thread pool).
    private sealed class Recorder(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}

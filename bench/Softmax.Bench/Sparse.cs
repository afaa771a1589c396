using System.Diagnostics;
using System.Globalization;
using System.Text;
using Softmax.Bench.Common;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Bench;

/// <summary>
/// The sparse workload (issue 5): a synthetic LIBSVM problem with a planted linear softmax model, generated
/// deterministically, read back with <see cref="LibSvmReader"/> into a CSR matrix, and timed with our engine.
/// </summary>
public static class Sparse
{
    private const string Ours = "Softmax (ours)";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Writes `rows` LIBSVM lines: ~`nnz` distinct random columns in [1, features] (duplicates of a draw dropped),
    /// values U(0,1) printed with 6 decimals, label sampled from softmax(W* x) with W*[d,c] ~ N(0, 0.5²).
    /// Fixed seed, so the same arguments always give the same file. Written to path.tmp, then renamed.
    /// </summary>
    public static void Generate(string path, int rows, int features, int nnz, int classes, int seed = 5)
    {
        var rng = new Random(seed);
        var planted = new float[(long)features * classes];
        for (long i = 0; i < planted.LongLength; i++)
        {
            // Box–Muller, σ = 0.5: scores have a spread of about 2 over 50 non-zeros
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            planted[i] = (float)(0.5 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        var cols = new int[nnz];
        var vals = new double[nnz];
        var scores = new double[classes];
        var sb = new StringBuilder(1 << 12);
        string tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false), 1 << 20))
        {
            for (int r = 0; r < rows; r++)
            {
                for (int k = 0; k < nnz; k++)
                {
                    cols[k] = rng.Next(features);
                }
                Array.Sort(cols);
                int m = 0;
                for (int k = 0; k < nnz; k++)
                {
                    if (m > 0 && cols[k] == cols[m - 1]) continue;
                    cols[m++] = cols[k];
                }
                Array.Clear(scores);
                for (int k = 0; k < m; k++)
                {
                    // the value as printed, so the planted model sees exactly the data the readers see
                    vals[k] = Math.Round(rng.NextDouble(), 6);
                    for (int c = 0; c < classes; c++)
                    {
                        scores[c] += vals[k] * planted[(long)cols[k] * classes + c];
                    }
                }
                double max = scores.Max(), z = 0;
                for (int c = 0; c < classes; c++) z += scores[c] = Math.Exp(scores[c] - max);
                double u = rng.NextDouble() * z, acc = 0;
                int label = classes - 1;
                for (int c = 0; c < classes; c++)
                {
                    acc += scores[c];
                    if (u < acc) { label = c; break; }
                }
                sb.Clear();
                sb.Append(label.ToString(Inv));
                for (int k = 0; k < m; k++)
                {
                    sb.Append(' ').Append((cols[k] + 1).ToString(Inv)).Append(':').Append(vals[k].ToString("0.######", Inv));
                }
                w.WriteLine(sb);
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Times one full-batch value+gradient (median of `repeats`, all cores) and value only (the split), then
    /// L-BFGS to a tight tolerance; scores the fit with the shared sparse F and writes W (C×D) and b as raw
    /// float64 to `outPrefix`.w.f64 / .b.f64 and F to `outPrefix`.json for the scikit-learn peer.
    /// </summary>
    public static void Run(string path, string workload, int features, int repeats, int maxIter, string outPrefix)
    {
        var clock = Stopwatch.StartNew();
        var data = LibSvmReader.Read(path, features);
        double readSeconds = clock.Elapsed.TotalSeconds;
        var csr = (CsrMatrix)data.Features;
        Console.Error.WriteLine($"{workload}: read {data.Rows}x{data.FeatureCount} nnz={csr.NonZeros} C={data.ClassCount} in {readSeconds:F1} s");
        ResultLine.Emit(Ours, workload, "read LIBSVM", readSeconds, extra: new Dictionary<string, object?>
        {
            ["shape"] = $"{data.Rows}x{data.FeatureCount} C={data.ClassCount}", ["nnz"] = csr.NonZeros,
            ["x_bytes"] = csr.StorageBytes, ["note"] = "LibSvmReader.Read into CsrMatrix",
        });

        double lambda = Objective.Lambda;
        {
            var loss = new CpuSoftmaxLoss(data, new CpuEngineOptions(Threads: 0));
            var objective = new SoftmaxObjective(loss, lambda);
            var theta = Workloads.RandomTheta(objective.Dimension);
            var grad = new double[objective.Dimension];
            double value = 0;
            var (med, min, _) = Timing.Median(() => value = objective.ValueAndGradient(theta, grad), repeats, warmup: 1);
            var (vmed, _, _) = Timing.Median(() => value = objective.Value(theta), repeats, warmup: 1);
            // what the gradient's dense D×C work costs alone: zero one float64 D×C buffer per thread and add them up
            int threads = loss.Threads;
            var bufs = Enumerable.Range(0, threads).Select(_ => new double[(long)features * data.ClassCount]).ToArray();
            var (dense, _, _) = Timing.Median(() =>
            {
                Parallel.For(0, threads, t => Array.Clear(bufs[t]));
                var first = bufs[0];
                for (int t = 1; t < threads; t++)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(first, bufs[t], first);
                }
            }, repeats, warmup: 1);
            bufs = null!;
            // what the per-evaluation transpose of W (C×D float64 -> D×C float32) costs alone, one thread
            int C = data.ClassCount;
            var wt = new float[(long)features * C];
            var (transpose, _, _) = Timing.Median(() =>
            {
                for (int c = 0; c < C; c++)
                {
                    var row = theta.AsSpan(c * features, features);
                    for (int d = 0; d < features; d++)
                    {
                        wt[(long)d * C + c] = (float)row[d];
                    }
                }
            }, repeats, warmup: 1);
            wt = null!;
            var (w, b) = Split(theta, objective.Classes, objective.Features);
            double shared = SparseValue(csr, data.Labels, w, b, objective.Classes, lambda);
            ResultLine.Emit(Ours, workload, "value+grad full batch", med, repeats, extra: new Dictionary<string, object?>
            {
                ["threads"] = threads, ["min_seconds"] = min, ["x_bytes"] = csr.StorageBytes,
                ["shape"] = $"{data.Rows}x{data.FeatureCount} C={data.ClassCount}",
                ["value_only_seconds"] = vmed, ["dense_dxc_zero_and_reduce_seconds"] = dense,
                ["transpose_w_seconds"] = transpose,
                ["F_rel_error_vs_shared"] = Math.Abs(value - shared) / shared,
                ["note"] = $"split: value only {vmed:F3} s; zeroing + reducing {threads} float64 D×C buffers alone {dense:F3} s; transposing W to D×C float32 alone {transpose:F3} s (1 thr)",
            });
        }
        Collect();

        var lbfgs = new LbfgsOptions { MaxIterations = maxIter, GradientTolerance = 1e-10, RelativeTolerance = 1e-14 };
        var options = new TrainingOptions { L2 = lambda, Preprocess = PreprocessKind.None, Lbfgs = lbfgs };
        clock.Restart();
        var result = SoftmaxTrainer.Fit(data, options);
        double seconds = clock.Elapsed.TotalSeconds;
        var (W, B) = Split(result.Model.Parameters, result.Model.Classes, result.Model.Features);
        double f = SparseValue(csr, data.Labels, W, B, result.Model.Classes, lambda);
        Console.Error.WriteLine($"{workload}: L-BFGS {result.Solver.Iterations} iterations, {result.Solver.Reason}, {seconds:F1} s, F = {f:R}");
        // when the solver's own F first came within 1e-6 (relative) of where it stopped: most of a stalled run's
        // time can be line-search evaluations after that
        var history = result.Solver.History;
        double last = history.Count > 0 ? history.Min(h => h.Loss) : double.NaN;
        var near = history.FirstOrDefault(h => h.Loss <= last * (1 + 1e-6));
        foreach (var h in history)
        {
            Console.Error.WriteLine($"  iteration {h.Iteration}: F {h.Loss:R} at {h.Seconds:F2} s");
        }
        ResultLine.Emit(Ours + " L-BFGS", workload, "fit", seconds, result.Solver.Iterations, f, fStar: f, extra: new Dictionary<string, object?>
        {
            ["evaluations"] = result.Solver.Evaluations, ["stop"] = result.Solver.Reason.ToString(),
            ["iteration_within_1e-6_of_final"] = near?.Iteration, ["seconds_within_1e-6_of_final"] = near?.Seconds,
            ["solver_seconds"] = result.Elapsed.TotalSeconds, ["threads"] = Environment.ProcessorCount,
            ["F_ref"] = "our own L-BFGS F (no reference optimum for this synthetic problem)",
            ["note"] = $"gtol 1e-10, rtol 1e-14, max {maxIter}; F = {f:R}; Preprocess None; within 1e-6 of its final F at iteration {near?.Iteration} ({near?.Seconds:F1} s)",
        });
        using (var fs = File.Create(outPrefix + ".w.f64")) fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(W.AsSpan()));
        using (var fs = File.Create(outPrefix + ".b.f64")) fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(B.AsSpan()));
        // The trajectory for the time-to-1e-6 row (the sklearn step knows F* only after its own fit): seconds since
        // Fit began (set-up before the solver included) and the solver's F at each iteration.
        double setup = seconds - result.Elapsed.TotalSeconds;
        string trace = string.Join(", ", history.Select(h => $"[{(setup + h.Seconds).ToString("R", Inv)}, {h.Loss.ToString("R", Inv)}]"));
        File.WriteAllText(outPrefix + ".json",
            $"{{\"F\": {f.ToString("R", Inv)}, \"seconds\": {seconds.ToString("R", Inv)}, \"iterations\": {result.Solver.Iterations}, \"classes\": {result.Model.Classes}, \"features\": {result.Model.Features}, \"trace\": [{trace}]}}\n");
    }

    /// <summary>
    /// The same F for CSR rows (the sparse workload), in float64: (1/N) Σ_j −log softmax(W x_j + b)[y_j] + (λ/2)‖W‖²,
    /// W (C, D) row-major, bias not penalised, x as stored (float32 values widened). Mirrors common.py's
    /// objective_sparse(). Rows are summed in fixed blocks for determinism.
    /// </summary>
    private static double SparseValue(Softmax.Data.CsrMatrix x, int[] labels, double[] w, double[] b, int classes, double lambda)
    {
        int n = x.Rows, d = x.Columns;
        const int block = 1000;
        int blocks = (n + block - 1) / block;
        var partial = new double[blocks];
        Parallel.For(0, blocks, blk =>
        {
            var s = new double[classes];
            double sum = 0;
            int end = Math.Min(n, (blk + 1) * block);
            for (int j = blk * block; j < end; j++)
            {
                Array.Copy(b, s, classes);
                for (long k = x.RowPointers[j]; k < x.RowPointers[j + 1]; k++)
                {
                    long col = x.ColumnIndices[(int)k];
                    double v = x.Values[(int)k];
                    for (int c = 0; c < classes; c++)
                    {
                        s[c] += w[c * (long)d + col] * v;
                    }
                }
                sum += Objective.CrossEntropy(s, classes, labels[j]);
            }
            partial[blk] = sum;
        });
        return Objective.Combine(partial, w, n, lambda);
    }

    private static (double[] W, double[] B) Split(double[] theta, int classes, int features) =>
        (theta[..(classes * features)], theta[(classes * features)..(classes * features + classes)]);

    private static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }
}

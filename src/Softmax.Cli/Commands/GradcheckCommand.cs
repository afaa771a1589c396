using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax gradcheck</c>: the analytic gradient of F (float64 reference engine) against central differences,
/// at a random point whose scores have a standard deviation of about 0.5. Exits 1 when the maximum relative error
/// exceeds the threshold (1e-6).
/// </summary>
public static class GradcheckCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var input = new DataFlags("Dataset name or path (its training rows are used)", "CSV label column");
        var checks = new Option<int?>("--checks") { Description = "Coordinates to check at random (default: all of θ up to 5000, else 200)" };
        var l2 = new Option<double>("--l2") { Description = "λ2", DefaultValueFactory = _ => 1e-4 };
        var l1 = new Option<double>("--l1") { Description = "λ1 (the check covers the smooth part)", DefaultValueFactory = _ => 0 };
        var rows = new Option<int>("--rows") { Description = "Use at most this many rows (0: all)", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the point and the coordinates", DefaultValueFactory = _ => 0 };
        var preprocess = new Option<string?>("--preprocess") { Description = "none, scale, center or standardize (default: per format)" }.AcceptOnlyFromAmong("none", "scale", "center", "standardize");
        var threshold = new Option<double>("--threshold") { Description = "Fail when the maximum relative error exceeds this", DefaultValueFactory = _ => 1e-6 };
        var step = new Option<double>("--step") { Description = "Central-difference step h, relative to max(1, |θ_k|)", DefaultValueFactory = _ => 1e-5 };
        var scoreStd = new Option<double>("--score-std") { Description = "Standard deviation of the scores at the random point", DefaultValueFactory = _ => 0.5 };
        var command = new Command("gradcheck", "Check the analytic gradient against central differences (float64)")
        {
            input.Data, input.Format, input.Label, checks, l2, l1, rows, seed, preprocess, threshold, step, scoreStd,
        };
        command.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            var source = input.Source(parse);
            var train = source.LoadTrain();
            int limit = parse.GetValue(rows);
            if (limit > 0 && train.Rows > limit) train = train.Slice(0, limit);
            var options = new TrainingOptions
            {
                L2 = parse.GetValue(l2),
                L1 = parse.GetValue(l1),
                Preprocess = TrainingFlags.ParsePreprocess(parse.GetValue(preprocess)),
            }.Validate();
            var x = SoftmaxTrainer.FitPreprocessor(train, options).Apply(train, allowDensify: true);
            var loss = new ReferenceSoftmaxLoss(x);
            var objective = new SoftmaxObjective(loss, options.L2, options.L1);
            var theta = RandomPoint(x, parse.GetValue(seed), parse.GetValue(scoreStd));
            int n = objective.Dimension;
            int? k = parse.GetValue(checks) ?? (n <= 5000 ? null : 200);
            if (k is < 1) throw new UsageException("--checks must be at least 1.");
            var result = ui.WithProgress("gradcheck", bar =>
            {
                bar.Update(0, 1, $"{k ?? n} coordinates of θ ({n})", force: true);
                var r = GradientCheck.Run((t, g) => objective.ValueAndGradient(t, g), ShiftedValue(x, options.L2, options.L1, theta), theta, k, parse.GetValue(seed), parse.GetValue(step));
                bar.Update(1, 1, "done", force: true);
                return r;
            });
            double limitError = parse.GetValue(threshold);
            bool ok = result.MaxRelativeError <= limitError;
            string F(double v) => v.ToString("E3", CultureInfo.InvariantCulture);
            ui.Summary("gradient check", new List<(string, string)>
            {
                ("data", $"{x.Name ?? source.Spec}: {x.Rows} rows, {x.FeatureCount} features, {x.ClassCount} classes"),
                ("checked coordinates", Ui.I(result.Checked)),
                ("max relative error", F(result.MaxRelativeError)),
                ("median relative error", F(result.MedianRelativeError)),
                ("worst coordinate", Coordinate(result.WorstCoordinate, x.ClassCount, x.FeatureCount)),
                ("result", ok ? $"PASS (max ≤ {F(limitError)})" : $"FAIL (max > {F(limitError)})"),
            });
            return ok ? 0 : 1;
        }));
        return command;
    }

    /// <summary>θ index <paramref name="k"/> by name: W[class, feature] for the first C·D entries, then b[class] (layout C×D row-major, bias after).</summary>
    public static string Coordinate(int k, int classes, int features) =>
        k < 0 ? "none" : k < classes * features
            ? FormattableString.Invariant($"W[{k / features}, {k % features}] (θ index {k})")
            : FormattableString.Invariant($"b[{k - classes * features}] (θ index {k})");

    /// <summary>θ with W ~ N(0, σ²), σ chosen so scores have a standard deviation of about 0.5, and b ~ N(0, 0.1²).</summary>
    private static double[] RandomPoint(Dataset x, int seed, double scoreStd)
    {
        int C = x.ClassCount, D = x.FeatureCount;
        double sumSq = 0;
        var row = new float[D];
        for (int i = 0; i < x.Rows; i++)
        {
            x.Features.CopyRow(i, row);
            foreach (var v in row) sumSq += (double)v * v;
        }
        double sigma = scoreStd / Math.Sqrt(Math.Max(sumSq / x.Rows, 1e-12));
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return Enumerable.Range(0, C * D + C).Select(i => (i < C * D ? sigma : 0.1) * Normal()).ToArray();
    }

    /// <summary>
    /// F(t) − F(θ0) computed as a sum of per-row differences, each through log1p/expm1 of the score changes:
    /// Δℓ_j = log(1 + Σ_c p_c(x_j; θ0)·expm1(Δo_jc)) − Δo_{j,y_j}, plus the exact change of the penalty.
    /// Central differences only use differences of F, so subtracting F(θ0) changes nothing in exact arithmetic,
    /// but it removes the rounding of two values of F ≈ 2 that otherwise swamps the difference for coordinates
    /// whose gradient is small (noise ε·F/h). Only rows with a non-zero x_d move, as in the definition.
    /// </summary>
    private static Func<double[], double> ShiftedValue(Dataset x, double l2, double l1, double[] theta0)
    {
        int N = x.Rows, C = x.ClassCount, D = x.FeatureCount, m = C * D;
        var rows = new double[N * D];
        var p0 = new double[N * C];
        var row = new float[D];
        for (int j = 0; j < N; j++)
        {
            x.Features.CopyRow(j, row);
            for (int d = 0; d < D; d++) rows[j * D + d] = row[d];
            double max = double.NegativeInfinity;
            for (int c = 0; c < C; c++)
            {
                double o = theta0[m + c];
                for (int d = 0; d < D; d++) o += theta0[c * D + d] * rows[j * D + d];
                p0[j * C + c] = o;
                max = Math.Max(max, o);
            }
            double sum = 0;
            for (int c = 0; c < C; c++) sum += p0[j * C + c] = Math.Exp(p0[j * C + c] - max);
            for (int c = 0; c < C; c++) p0[j * C + c] /= sum;
        }
        double weightSum = x.SampleWeights?.Sum(w => (double)w) ?? N;
        return t =>
        {
            var changed = Enumerable.Range(0, t.Length).Where(i => t[i] != theta0[i]).ToArray();
            double penalty = 0;
            foreach (var i in changed.Where(i => i < m))
                penalty += 0.5 * l2 * (t[i] - theta0[i]) * (t[i] + theta0[i]) + l1 * (Math.Abs(t[i]) - Math.Abs(theta0[i]));
            if (changed.Length == 0) return 0;
            var delta = new double[C];
            double data = 0;
            for (int j = 0; j < N; j++)
            {
                Array.Clear(delta);
                foreach (var i in changed)
                    delta[i < m ? i / D : i - m] += i < m ? (t[i] - theta0[i]) * rows[j * D + i % D] : t[i] - theta0[i];
                double s = 0;
                for (int c = 0; c < C; c++) if (delta[c] != 0) s += p0[j * C + c] * double.ExpM1(delta[c]);
                double w = x.SampleWeights?[j] ?? 1;
                data += w * (double.LogP1(s) - delta[x.Labels[j]]);
            }
            return data / weightSum + penalty;
        };
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;
using Xunit.Abstractions;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Optimization;

/// <summary>
/// Agreement with independent implementations on real data: scikit-learn on digits, the published Fashion-MNIST
/// optimum (../shared/reference), and the committed digits trajectory (layer 5).
/// </summary>
public class ReferenceRunsTests(ITestOutputHelper output)
{
    /// <summary>Digits scaled by 1/16 (exact in binary), 1797 × 64, classes "0".."9".</summary>
    private static Dataset Digits()
    {
        var raw = NamedDatasets.LoadDigits();
        return new Preprocessor(PreprocessKind.Scale, 1f / 16).Apply(raw);
    }

    private static string ReferencePath(string name) => Path.Combine(AppContext.BaseDirectory, "reference", name);

    private const string SklearnScript = """
        import sys, json, numpy as np
        from sklearn.linear_model import LogisticRegression
        data = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float64)
        X, y = data[:, 1:], data[:, 0].astype(int)
        C = float(sys.argv[2])
        m = LogisticRegression(multi_class="multinomial", solver="lbfgs", C=C, tol=1e-12, max_iter=10000).fit(X, y)
        json.dump({"coef": m.coef_.tolist(), "intercept": m.intercept_.tolist(), "n_iter": int(m.n_iter_[0]),
                   "predict": m.predict(X).tolist()}, sys.stdout)
        """;

    private static JsonElement RunSklearn(Dataset data, double c)
    {
        const string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), $"{python} is missing: install python3 and python3-sklearn (CI does).");
        using var temp = new TempDir("sklearn");
        string dir = temp.Path;
        string csv = Path.Combine(dir, "data.csv"), script = Path.Combine(dir, "fit.py");
        var sb = new StringBuilder();
        var row = new float[data.FeatureCount];
        for (int i = 0; i < data.Rows; i++)
        {
            data.Features.CopyRow(i, row);
            sb.Append(data.Labels[i].ToString(CultureInfo.InvariantCulture));
            foreach (var v in row) sb.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        File.WriteAllText(csv, sb.ToString());
        File.WriteAllText(script, SklearnScript.Replace("\r", "", StringComparison.Ordinal));
        var run = ChildProcess.Run(python, [script, csv, c.ToString("R", CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(120));
        Assert.True(run.ExitCode == 0, $"scikit-learn failed (is python3-sklearn installed?): {run.Stderr}");
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    [Fact]
    public void Lbfgs_agrees_with_scikit_learn_on_digits()
    {
        var data = Digits();
        const double lambda = 1e-3;
        double c = 1 / (lambda * data.Rows);   // sklearn: ½‖W‖² + C Σ ℓ_j  =  C·N · (mean ℓ + λ/2 ‖W‖²)
        var clock = Stopwatch.StartNew();
        var ours = new LbfgsSolver(new LbfgsOptions { GradientTolerance = 1e-9, RelativeTolerance = 1e-14, MaxIterations = 5000 },
                FeatureMoments.Compute(data.Features))
            .Minimize(new SoftmaxObjective(new CpuSoftmaxLoss(data), lambda), new double[650], new SolverContext());
        var oursTime = clock.Elapsed;
        clock.Restart();
        var sk = RunSklearn(data, c);
        var skTime = clock.Elapsed;
        var theta = new double[650];
        var coef = sk.GetProperty("coef");
        for (int k = 0; k < 10; k++)
        {
            for (int d = 0; d < 64; d++) theta[k * 64 + d] = coef[k][d].GetDouble();
            theta[640 + k] = sk.GetProperty("intercept")[k].GetDouble();
        }
        var reference = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), lambda);
        double fOurs = reference.Value(ours.Theta), fSk = reference.Value(theta);
        var predicted = new SoftmaxModel(ours.Theta, data.ClassNames, 64).Predict(data);
        var skPredicted = sk.GetProperty("predict").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double agreement = predicted.Zip(skPredicted).Count(p => p.First == p.Second) / (double)data.Rows;
        output.WriteLine($"digits/16, λ={lambda}: ours F = {fOurs:R} ({ours.Iterations} it, {ours.Reason}, {oursTime.TotalSeconds:F2} s); " +
                         $"sklearn F = {fSk:R} ({sk.GetProperty("n_iter").GetInt32()} it, {skTime.TotalSeconds:F2} s incl. start-up); " +
                         $"relative difference {Relative(fOurs, fSk):E2}; prediction agreement {agreement:P2}");
        Assert.True(Relative(fOurs, fSk) <= 1e-6, $"F ours {fOurs:R} vs sklearn {fSk:R}");
        Assert.True(agreement >= 0.995, $"prediction agreement {agreement:P2}");
    }

    /// <summary>
    /// The first 10 L-BFGS values of F on digits/16 (λ2 = 1e-3, default options with preconditioning, float64 reference
    /// loss so the numbers do not depend on the SIMD kernels). To regenerate after an intended change of the solver:
    /// <c>SOFTMAX_REGENERATE_REFERENCE=1 dotnet test tests/Softmax.Tests -c Release --filter "FullyQualifiedName~DigitsTrajectory"</c>,
    /// which rewrites tests/Softmax.Tests/reference/digits_lbfgs_trajectory.json; review the diff and commit it.
    /// </summary>
    [Fact]
    public void DigitsTrajectory_matches_the_committed_reference()
    {
        var data = Digits();
        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), 1e-3);
        var result = new LbfgsSolver(new LbfgsOptions { MaxIterations = 10, GradientTolerance = 0, RelativeTolerance = 0 }, FeatureMoments.Compute(data.Features))
            .Minimize(objective, new double[650], new SolverContext());
        var values = new List<double> { objective.Value(new double[650]) };
        values.AddRange(result.History.Select(h => h.Loss));
        Assert.Equal(11, values.Count);
        Assert.Equal(Math.Log(10), values[0], 1e-12);   // F(0) = log C (up to the rounding of a 1797-term mean)

        string path = ReferencePath("digits_lbfgs_trajectory.json");
        if (Environment.GetEnvironmentVariable("SOFTMAX_REGENERATE_REFERENCE") == "1")
        {
            string source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../reference/digits_lbfgs_trajectory.json"));
            var doc = new
            {
                description = "F after 0..10 L-BFGS iterations on digits/16, lambda2 = 1e-3, default LbfgsOptions (History auto: 40 here, Precondition on: covariance shrunk toward its diagonal), ReferenceSoftmaxLoss (float64), theta0 = 0",
                regenerate = "SOFTMAX_REGENERATE_REFERENCE=1 dotnet test tests/Softmax.Tests -c Release --filter FullyQualifiedName~DigitsTrajectory",
                tolerance = 1e-9,
                values = values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray(),
            };
            File.WriteAllText(source, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            output.WriteLine($"wrote {source}");
            path = source;
        }
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var expected = json.RootElement.GetProperty("values").EnumerateArray().Select(e => double.Parse(e.GetString()!, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Length, values.Count);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Relative(values[i], expected[i]) <= 1e-9, $"iteration {i}: F = {values[i]:R}, reference {expected[i]:R}");
    }

    /// <summary>
    /// The acceptance test of issue 2: L-BFGS with default settings (preconditioned) and tight tolerances reaches the
    /// published optimum of Fashion-MNIST (x = pixel/255, λ2 = 1e-4, all 60000 rows) within 1e-6 relative.
    /// </summary>
    [Fact]
    public void FashionMnist_lbfgs_reaches_the_reference_optimum()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(ReferencePath("fashion-mnist-optimum.json")));
        double fStar = json.RootElement.GetProperty("F_star").GetDouble();
        double lambda = json.RootElement.GetProperty("lambda").GetDouble();
        double testAccuracy = json.RootElement.GetProperty("test_accuracy_at_optimum").GetDouble();
        Dataset train, test;
        try { (train, test) = NamedDatasets.Load("fashion-mnist"); }
        catch (FileNotFoundException e)
        {
            Assert.Fail($"Fashion-MNIST is required for the acceptance test: apt-get install dataset-fashion-mnist (CI installs it). {e.Message}");
            return;
        }
        Assert.Equal(60000, train.Rows);
        var options = new TrainingOptions
        {
            L2 = lambda,
            Lbfgs = new LbfgsOptions { RelativeTolerance = 1e-12, GradientTolerance = 1e-9 },
        };
        var result = SoftmaxTrainer.Fit(train, options);
        double accuracy = result.Model.Score(test);
        output.WriteLine($"Fashion-MNIST: F = {result.Objective:R}, F* = {fStar:R}, relative gap {(result.Objective - fStar) / fStar:E2}, " +
                         $"{result.Solver.Iterations} iterations, {result.Solver.Evaluations} evaluations, {result.Solver.Reason}, " +
                         $"{result.Elapsed.TotalSeconds:F1} s; test accuracy {accuracy:F4}");
        Assert.True(Relative(result.Objective, fStar) <= 1e-6,
            $"F = {result.Objective:R} is {Relative(result.Objective, fStar):E2} from F* = {fStar:R} after {result.Solver.Iterations} iterations ({result.Solver.Reason})");
        Assert.InRange(accuracy, testAccuracy - 0.003, testAccuracy + 0.003);
    }
}

using System.Globalization;
using System.Text.Json;
using Softmax.IO;

namespace Softmax.Cli.Tests;

/// <summary>
/// Issue 13 as a user meets it: `softmax train` on raw tabular CSV with a tight tol ends `Converged`, lands on the
/// float64 optimum (checked by scipy's L-BFGS-B polishing our weights on an independent numpy F; it finds nothing
/// lower by more than 1e-9 relative), and the objective it reports is that F to 1e-12. The default digits run converges.
/// </summary>
public class ExactnessCliTests
{
    private const string Python = "/usr/bin/python3";

    private static string RunPython(string script, string workDir)
    {
        var r = ChildProcess.Run(new ChildProcess.Start(Python, []) { WorkingDirectory = workDir, Stdin = script, Timeout = TimeSpan.FromMinutes(5) });
        Assert.True(r.ExitCode == 0, $"python failed:\n{r.Stderr}");
        return r.Stdout.Trim();
    }

    [Theory]
    [InlineData("wine", 1e-4)]          // raw, unscaled features (proline ~1000, hue ~1)
    [InlineData("breast_cancer", 1e-3)]
    public void Raw_tabular_csv_reaches_the_float64_optimum_and_reports_it_truthfully(string set, double l2)
    {
        using var dir = new TempDir();
        RunPython($$"""
            import numpy as np, sklearn.datasets as d
            X, y = d.load_{{set}}(return_X_y=True)
            with open("data.csv", "w") as f:
                f.write(",".join([f"x{i}" for i in range(X.shape[1])] + ["label"]) + "\n")
                for row, label in zip(X, y): f.write(",".join(repr(float(v)) for v in row) + f",c{label}\n")
            """, dir.Path);
        Cli.Ok(dir.Path, "train", "--data", "data.csv", "--format", "csv", "--label-column", "label", "--preprocess", "none",
            "--solver", "lbfgs", "--l2", l2.ToString("R", CultureInfo.InvariantCulture), "--tol", "1e-12", "--max-iter", "20000",
            "--metrics-json", "m.json", "--model", "model.softmax", "--threads", "2");
        var metrics = JsonDocument.Parse(File.ReadAllText(dir["m.json"])).RootElement;
        Assert.Equal("Converged", metrics.GetProperty("stop_reason").GetString());
        double reported = metrics.GetProperty("objective").GetDouble();
        var model = ModelFile.Load(dir["model.softmax"]);
        File.WriteAllLines(dir["theta.txt"], model.Parameters.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        File.WriteAllLines(dir["classes.txt"], model.ClassNames);
        string result = RunPython($$"""
            import numpy as np
            from scipy.optimize import minimize
            from scipy.special import logsumexp
            rows = [l.strip().split(",") for l in open("data.csv").readlines()[1:]]
            X = np.array([[float(v) for v in r[:-1]] for r in rows], dtype=np.float32).astype(np.float64)  # the CLI stores float32
            names = [l.strip() for l in open("classes.txt")]
            y = np.array([names.index(r[-1]) for r in rows])
            C, D, lam = len(names), X.shape[1], {{l2.ToString("R", CultureInfo.InvariantCulture)}}
            def F(t):
                W, b = t[:C * D].reshape(C, D), t[C * D:]
                S = X @ W.T + b
                lse = logsumexp(S, axis=1)
                P = np.exp(S - lse[:, None]); P[np.arange(len(y)), y] -= 1; P /= len(y)
                f = np.mean(lse - S[np.arange(len(y)), y]) + lam / 2 * np.sum(W * W)
                return f, np.concatenate([(P.T @ X + lam * W).ravel(), P.sum(axis=0)])
            theta = np.loadtxt("theta.txt")
            f_ours = F(theta)[0]
            polished = minimize(F, theta, jac=True, method="L-BFGS-B", options=dict(gtol=1e-14, ftol=0, maxiter=20000, maxcor=30))
            print(repr(f_ours), repr(min(polished.fun, f_ours)))
            """, dir.Path);
        var parts = result.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        double fOurs = parts[0], fStar = parts[1];
        Assert.True(fOurs - fStar <= 1e-9 * fStar, $"{set}: F {fOurs:R} is {(fOurs - fStar) / fStar:E2} above scipy's polished optimum {fStar:R}");
        Assert.True(Math.Abs(reported - fOurs) <= 1e-12 * fOurs, $"{set}: reported {reported:R}, numpy float64 {fOurs:R}");
    }

    [Fact]
    public void The_default_digits_run_ends_converged()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "--metrics-json", "m.json", "--threads", "2");
        var metrics = JsonDocument.Parse(File.ReadAllText(dir["m.json"])).RootElement;
        Assert.Equal("Converged", metrics.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public void Precision_float32_says_where_it_stopped_and_an_unknown_precision_is_a_usage_error()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "--precision", "float32", "--tol", "1e-12", "--metrics-json", "m.json", "--threads", "2");
        var metrics = JsonDocument.Parse(File.ReadAllText(dir["m.json"])).RootElement;
        Assert.Equal("PrecisionLimit", metrics.GetProperty("stop_reason").GetString());
        var bad = Cli.Run(dir.Path, ["train", "--precision", "double"]);
        Assert.Equal(2, bad.ExitCode);
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Softmax.Data;
using Softmax.Engine;
using Softmax.IO;
using Softmax.Packaging.Tests;

namespace Softmax.Native.Tests;

/// <summary>libsoftmax from C (the gcc-built example) and from Python (the package's pytest suite), judged in .NET.</summary>
public sealed partial class NativeTests(NativeLibraryFixture native) : IClassFixture<NativeLibraryFixture>
{
    [Fact]
    public void CExampleTrainsDigitsAndItsModelFileLoadsInDotNet()
    {
        string model = Path.Combine(native.Directory, "digits.softmax");
        var run = Repo.Run(native.Example, ["digits", model], native.Directory, TimeSpan.FromMinutes(3)).ShouldSucceed("train_digits");
        var values = KeyValues().Matches(run.Output).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        double Number(string key) => double.Parse(values[key], CultureInfo.InvariantCulture);

        var (train, test) = NamedDatasets.Load("digits");
        Assert.Equal(train.Rows, (int)Number("rows"));
        Assert.Equal("1", values["round_trip_equal"]);
        Assert.Equal(string.Join(" ", train.ClassNames), values["class_names"]);
        Assert.Equal(Number("iterations"), Number("progress_reports"));

        // The model file written through the C API is the library's format: .NET reads it and scores the same.
        var loaded = ModelFile.Load(model);
        Assert.Equal(loaded.Score(test), Number("test_accuracy"));
        Assert.Equal(loaded.Score(train), Number("train_accuracy"));
        Assert.True(Number("test_accuracy") > 0.94, run.Output);

        // The reported F is the float64 objective at the returned weights, and those are the optimum (tol 1e-10 on the
        // relative decrease stops with a gradient near 1e-6; at θ = 0 it is ~0.1).
        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(train), l2: 1e-4);
        var gradient = new double[objective.Dimension];
        double f = objective.ValueAndGradient(loaded.Parameters, gradient);
        Assert.Equal(f, Number("objective"), 1e-12 * f);
        Assert.True(gradient.Max(Math.Abs) < 1e-5, $"gradient inf-norm {gradient.Max(Math.Abs)}");
    }

    [Fact]
    public void CExampleReportsAMissingFileWithTheLibraryMessageAndExitCode2()
    {
        var run = Repo.Run(native.Example, ["/nonexistent/rows.csv"], native.Directory, TimeSpan.FromMinutes(1));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("No such file or directory: /nonexistent/rows.csv", run.Output);
    }

    [Fact]
    public void PythonPackagePassesItsTestsIncludingScikitLearnsEstimatorChecks()
    {
        var run = Repo.Run("/usr/bin/python3", ["-m", "pytest", "python/tests", "-q", "-p", "no:cacheprovider"], Repo.Root,
            TimeSpan.FromMinutes(6), new Dictionary<string, string>
            {
                ["SOFTMAX_LIBRARY"] = native.Library,
                ["SOFTMAX_CLI"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "Softmax.Cli.dll")}",
                ["PYTHONDONTWRITEBYTECODE"] = "1",
            });
        run.ShouldSucceed("pytest python/tests");
        var summary = PytestSummary().Match(run.Output);
        Assert.True(summary.Success, run.Output);
        Assert.True(int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture) >= 60, run.Output);
        Assert.DoesNotContain("skipped", summary.Value, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^([a-z_]+): (.*)$", RegexOptions.Multiline)]
    private static partial Regex KeyValues();

    [GeneratedRegex(@"(\d+) passed[^\n]*")]
    private static partial Regex PytestSummary();
}

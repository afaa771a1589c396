using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Softmax.Cli.Tests;

public class GradcheckAndTuneTests
{
    private static double Reported(string stdout, string key)
    {
        var match = Regex.Match(stdout, $@"{key}: ([0-9.Ee+-]+)");
        Assert.True(match.Success, $"no '{key}' in:\n{stdout}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Gradcheck_on_digits_reports_a_max_relative_error_below_1e_7()
    {
        using var dir = new TempDir();
        var r = Cli.Ok(dir.Path, "gradcheck");
        Assert.Equal(650, (int)Reported(r.Stdout, "checked coordinates"));
        double max = Reported(r.Stdout, "max relative error");
        Assert.True(max < 1e-7, $"max relative error {max}");
        Assert.True(Reported(r.Stdout, "median relative error") <= max);
    }

    [Fact]
    public void Gradcheck_exits_non_zero_when_the_error_exceeds_the_threshold()
    {
        using var dir = new TempDir();
        // A coarse step makes the central differences visibly wrong (truncation error ~ h²).
        var r = Cli.Run(dir.Path, ["gradcheck", "--step", "0.5", "--checks", "50", "--l2", "0"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("FAIL", r.Stdout);
        Assert.True(Reported(r.Stdout, "max relative error") > 1e-6);
    }

    [Fact]
    public void Tune_sorts_trials_by_validation_accuracy_and_saves_the_best_model()
    {
        // Digits pixels are scaled to 0..1 by default (gradients 16 times smaller, curvature 256 times), so useful plain-SGD
        // rates for 5 epochs are about 1..3 (about 4e-3..1e-2 on raw 0..16 pixels).
        using var dir = new TempDir();
        var r = Cli.Ok(dir.Path, "tune", "--solver", "sgd", "--lr-grid", "1e-5,1,3", "--l2-grid", "1e-4,1e-2", "--epochs", "5",
            "--batch-size", "64", "--model", "best.softmax", "--metrics-json", "tune.json", "--threads", "2");
        Assert.True(File.Exists(dir["best.softmax"]));
        var t = JsonDocument.Parse(File.ReadAllText(dir["tune.json"])).RootElement;
        var trials = t.GetProperty("trials").EnumerateArray().ToArray();
        Assert.Equal(6, trials.Length);
        var accuracies = trials.Select(x => x.GetProperty("validation_accuracy").GetDouble()).ToArray();
        Assert.Equal(accuracies.OrderByDescending(a => a), accuracies);
        Assert.Equal(accuracies[0], t.GetProperty("best_validation_accuracy").GetDouble());
        Assert.True(accuracies[0] > 0.9, $"best validation accuracy {accuracies[0]}");
        Assert.True(accuracies[^1] < accuracies[0], "lr 1e-5 for 5 epochs should be visibly worse");
        // The best model really is the saved one: its accuracy on the digits test split is printed by eval.
        var e = Cli.Ok(dir.Path, "eval", "--model", "best.softmax", "-q");
        Assert.True(Reported(e.Stdout, "accuracy") > 0.85);
        Assert.Contains("trials, best first", r.Stdout);
    }
}

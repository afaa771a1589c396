using System.Text.Json;

namespace Softmax.Cli.Tests;

/// <summary>Issue 17's guard rails: flags that do not apply, diverged runs, "did you mean", one-line parse errors, the tool's name.</summary>
public class CourseGuardRailTests
{
    private static CliResult Fails(string dir, int code, params string[] args)
    {
        var r = Cli.Run(dir, args);
        Assert.True(r.ExitCode == code, $"expected exit {code}: softmax {string.Join(' ', args)}\n{r}");
        return r;
    }

    private static string ErrorLine(CliResult r)
    {
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("softmax: error:", StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length == 1, $"expected exactly one error line:\n{r}");
        Assert.DoesNotContain("System.", r.Stderr);
        Assert.DoesNotContain("\t", r.Stderr);
        return lines[0];
    }

    [Theory]
    [InlineData("--max-iter", "100", "sgd", "--solver lbfgs", "--epochs")]
    [InlineData("--tol", "1e-6", "adam", "--solver lbfgs", "--lr")]
    [InlineData("--momentum", "0.9", "adam", "--solver sgd", "--batch-size")]
    public void A_flag_the_solver_ignores_is_an_error_naming_the_flags_it_reads(string flag, string value, string solver, string owner, string reads)
    {
        using var dir = new TempDir();
        var line = ErrorLine(Fails(dir.Path, 2, "train", "--solver", solver, flag, value));
        Assert.Contains($"{flag} applies to {owner} only", line);
        Assert.Contains(reads, line);
        Assert.False(File.Exists(dir["model.softmax"]));
    }

    [Theory]
    [InlineData("--lr", "0.5")]
    [InlineData("--epochs", "5")]
    [InlineData("--batch-size", "32")]
    public void Mini_batch_flags_without_a_mini_batch_solver_are_errors(string flag, string value)
    {
        using var dir = new TempDir();
        var line = ErrorLine(Fails(dir.Path, 2, "train", flag, value));
        Assert.Contains("--solver sgd or adam", line);
        Assert.Contains("lbfgs (the default here)", line);
        // tune: a forgotten --solver sgd would make a flat learning-rate sweep.
        Assert.Contains("--solver sgd or adam", ErrorLine(Fails(dir.Path, 2, "tune", "--lr-grid", "1e-3,1e-2")));
    }

    [Fact]
    public void A_diverging_learning_rate_warns_and_exits_3()
    {
        using var dir = new TempDir();
        var r = Fails(dir.Path, 3, "train", "--solver", "sgd", "--lr", "100", "--epochs", "5", "-q", "--metrics-json", "m.json");
        Assert.Contains("softmax: warning: training diverged", r.Stderr);
        Assert.Contains("ln 10", r.Stderr);
        var m = JsonDocument.Parse(File.ReadAllText(dir["m.json"])).RootElement;
        Assert.True(m.GetProperty("objective").GetDouble() > Math.Log(10));
        Assert.Contains("above ln 10", m.GetProperty("diverged").GetString());
        // A sane rate on the same data is healthy: exit 0, no warning, "diverged" null.
        var ok = Cli.Ok(dir.Path, "train", "--solver", "sgd", "--lr", "0.1", "--epochs", "5", "-q", "--metrics-json", "ok.json");
        Assert.DoesNotContain("diverged", ok.Stderr);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(File.ReadAllText(dir["ok.json"])).RootElement.GetProperty("diverged").ValueKind);
    }

    [Fact]
    public void Tune_marks_a_diverged_setting_and_ranks_it_last()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "tune", "--solver", "sgd", "--lr-grid", "100,0.1,1", "--epochs", "5", "--metrics-json", "t.json", "-q");
        var trials = JsonDocument.Parse(File.ReadAllText(dir["t.json"])).RootElement.GetProperty("trials").EnumerateArray().ToArray();
        Assert.Equal(3, trials.Length);
        Assert.Equal(100, trials[^1].GetProperty("lr").GetDouble());
        Assert.True(trials[^1].GetProperty("diverged").GetBoolean());
        Assert.StartsWith("diverged", trials[^1].GetProperty("status").GetString());
        Assert.False(trials[0].GetProperty("diverged").GetBoolean());
    }

    [Theory]
    [InlineData("'train'", "trian")]
    [InlineData("'--lr'", "train", "--learning-rate", "0.1")]
    [InlineData("'digits'", "train", "--data", "digit")]
    [InlineData("'lbfgs'", "train", "--solver", "lbgfs")]
    [InlineData("'--epochs'", "train", "--solver", "sgd", "--epoch", "3")]
    [InlineData("'json'", "predict", "--model", "m.softmax", "--output-format", "jsn")]
    public void Typos_get_did_you_mean(string suggestion, params string[] args)
    {
        using var dir = new TempDir();
        var line = ErrorLine(Fails(dir.Path, 2, args));
        Assert.Contains($"Did you mean {suggestion}?", line);
    }

    [Fact]
    public void A_list_given_to_a_number_flag_is_one_human_line()
    {
        using var dir = new TempDir();
        var line = ErrorLine(Fails(dir.Path, 2, "train", "--solver", "sgd", "--lr", "1e-3,1e-2"));
        Assert.Contains("--lr: '1e-3,1e-2' is not a number", line);
        Assert.Contains("--lr-grid", line);
        Assert.Contains("is not a whole number", ErrorLine(Fails(dir.Path, 2, "train", "--solver", "sgd", "--epochs", "x")));
    }

    [Fact]
    public void Usage_and_help_say_softmax()
    {
        using var dir = new TempDir();
        var root = Cli.Ok(dir.Path, "--help");
        Assert.Contains("softmax [command] [options]", root.Stdout);
        Assert.DoesNotContain("Softmax.Cli", root.Stdout);
        var train = Cli.Ok(dir.Path, "train", "--help");
        Assert.Contains("softmax train [options]", train.Stdout);
        Assert.Contains("16 for digits", train.Stdout);   // the --preprocess rule as it is
    }
}

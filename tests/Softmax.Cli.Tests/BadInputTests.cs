namespace Softmax.Cli.Tests;

/// <summary>Usage and input errors: exit code 2, one line on stderr naming the problem, and nothing written.</summary>
[Collection("digits")]
public class BadInputTests(DigitsFixture f)
{
    private static void AssertOneLineError(CliResult r, string mustContain)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one error line:\n{r.Stderr}");
        Assert.StartsWith("softmax: error: ", lines[0]);
        Assert.Contains(mustContain, lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Missing_data_file_exits_2_and_leaves_an_existing_model_untouched()
    {
        using var dir = new TempDir();
        var before = new byte[] { 1, 2, 3, 4 };
        File.WriteAllBytes(dir["model.softmax"], before);
        var r = Cli.Run(dir.Path, ["train", "--data", "no-such-file.csv", "--metrics-json", "m.json"]);
        AssertOneLineError(r, "no-such-file.csv");
        Assert.Equal(before, File.ReadAllBytes(dir["model.softmax"]));
        Assert.False(File.Exists(dir["m.json"]));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Bad_csv_exits_2_naming_the_file_and_the_line()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["bad.csv"], "1,2,3,a\n4,5,6,b\n7,x,9,a\n1,1,1,b\n");
        var r = Cli.Run(dir.Path, ["train", "--data", "bad.csv"]);
        AssertOneLineError(r, "bad.csv");
        Assert.Contains("3", r.Stderr);
        Assert.False(File.Exists(dir["model.softmax"]));
    }

    [Fact]
    public void Predict_with_the_wrong_feature_count_exits_2_and_writes_no_output()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["short.csv"], "1,2,3\n4,5,6\n");
        var r = Cli.Run(dir.Path, ["predict", "--model", f.Model, "--data", "short.csv", "--output", "out.csv"]);
        AssertOneLineError(r, "short.csv");
        Assert.Contains("64", r.Stderr);
        Assert.False(File.Exists(dir["out.csv"]));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Predict_with_a_bad_row_midway_leaves_no_partial_output()
    {
        using var dir = new TempDir();
        var lines = File.ReadAllLines(f.Dir["digits-test.csv"]).Take(50).ToList();
        lines[40] = string.Join(',', lines[40].Split(',').Select((v, i) => i == 7 ? "NaN" : v));
        File.WriteAllLines(dir["rows.csv"], lines);
        var r = Cli.Run(dir.Path, ["predict", "--model", f.Model, "--data", "rows.csv", "--output", "out.csv"]);
        AssertOneLineError(r, "rows.csv");
        Assert.Contains("41", r.Stderr);
        Assert.False(File.Exists(dir["out.csv"]));
    }

    [Fact]
    public void Corrupt_or_missing_model_exits_2()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["junk.softmax"], "this is not a model");
        AssertOneLineError(Cli.Run(dir.Path, ["eval", "--model", "junk.softmax"]), "junk.softmax");
        AssertOneLineError(Cli.Run(dir.Path, ["info", "--model", "absent.softmax"]), "absent.softmax");
    }

    [Theory]
    [InlineData("--l2", "-1")]
    [InlineData("--solver", "newton")]
    [InlineData("--no-such-flag", "1")]
    [InlineData("--validation-fraction", "1.5")]
    public void Bad_options_exit_2(string flag, string value)
    {
        using var dir = new TempDir();
        var r = Cli.Run(dir.Path, ["train", flag, value]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("softmax: error:", r.Stderr);
        Assert.False(File.Exists(dir["model.softmax"]));
    }
}

using System.Text.RegularExpressions;

namespace Softmax.Cli.Tests;

/// <summary>The README's course workflow, run as written (issue 17): every `softmax` line of its first code block.</summary>
public class ReadmeTests
{
    /// <summary>The commands of the first ```sh block after <paramref name="heading"/>, without the leading `softmax` and comments.</summary>
    public static List<string[]> Commands(string readme, string heading)
    {
        int at = readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(at >= 0, $"README has no '{heading}'");
        var block = Regex.Match(readme[at..], "```sh\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var commands = new List<string[]>();
        foreach (var raw in block.Split('\n'))
        {
            string line = Regex.Replace(raw, @"\s+#.*$", "").Trim();
            if (line.Length == 0) continue;
            Assert.StartsWith("softmax ", line);
            commands.Add(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);
        }
        return commands;
    }

    [Fact]
    public void The_course_workflow_runs_as_written()
    {
        string root = RepoPaths.Root;
        var commands = Commands(File.ReadAllText(Path.Combine(root, "README.md")), "## The course workflow");
        Assert.Equal(["gradcheck", "train", "tune", "eval", "report", "predict"], commands.Select(c => c[0]));
        using var dir = new TempDir();
        // The files the commands name, from the repository, at the same relative paths.
        foreach (var file in commands.SelectMany(c => c).Where(a => a.StartsWith("samples/", StringComparison.Ordinal)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir[file])!);
            File.Copy(Path.Combine(root, file), dir[file]);
        }
        var outputs = new Dictionary<string, CliResult>();
        foreach (var args in commands) outputs[args[0]] = Cli.Ok(dir.Path, args);
        Assert.Contains("PASS", outputs["gradcheck"].Stdout);
        Assert.True(File.Exists(Path.Combine(dir.Path, "plots", "weights.png")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "sweep", "sweep-loss.png")));
        Assert.True(File.Exists(dir["report.html"]));
        var accuracy = Regex.Match(outputs["train"].Stdout, @"test accuracy\s*[:│|]?\s*([0-9.]+)");
        Assert.True(accuracy.Success, outputs["train"].Stdout);
        Assert.True(double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0.94, outputs["train"].Stdout);
        // samples/rows.csv: five digits rows, predicted as JSON lines with their top 3.
        var predictions = outputs["predict"].Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, predictions.Length);
        Assert.All(predictions, p => Assert.Contains("\"top\":[", p));
    }
}

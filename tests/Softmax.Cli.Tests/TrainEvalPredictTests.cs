using System.Globalization;
using System.Text.Json;

namespace Softmax.Cli.Tests;

/// <summary>The main job end to end on the embedded digits set: train, eval, predict, info, report and the plots.</summary>
[Collection("digits")]
public class TrainEvalPredictTests(DigitsFixture f)
{
    [Fact]
    public void Train_reports_the_expected_digits_results_and_every_metrics_key()
    {
        var m = f.Metrics;
        foreach (var key in new[] { "objective", "train_accuracy", "test_accuracy", "validation_accuracy", "iterations", "epochs", "evaluations",
                     "train_seconds", "solver", "l2", "l1", "n_train", "n_features", "n_classes", "stop_reason", "history" })
            Assert.True(m.TryGetProperty(key, out _), $"metrics.json lacks '{key}'");
        Assert.Equal("lbfgs", m.GetProperty("solver").GetString());
        Assert.Equal(1438, m.GetProperty("n_train").GetInt32());
        Assert.Equal(64, m.GetProperty("n_features").GetInt32());
        Assert.Equal(10, m.GetProperty("n_classes").GetInt32());
        Assert.Equal(1e-4, m.GetProperty("l2").GetDouble());
        Assert.Equal(JsonValueKind.Null, m.GetProperty("validation_accuracy").ValueKind);
        // L-BFGS on 1438 unscaled digits with λ2 = 1e-4 separates the training set and scores about 95.5 % on the held-out 20 %.
        Assert.True(m.GetProperty("train_accuracy").GetDouble() >= 0.995, m.GetProperty("train_accuracy").ToString());
        double test = m.GetProperty("test_accuracy").GetDouble();
        Assert.InRange(test, 0.94, 0.975);
        double objective = m.GetProperty("objective").GetDouble();
        Assert.InRange(objective, 1e-4, 0.02);
        var history = m.GetProperty("history").EnumerateArray().ToArray();
        Assert.Equal(m.GetProperty("iterations").GetInt32(), history.Length);
        Assert.True(history[^1].GetProperty("loss").GetDouble() < history[0].GetProperty("loss").GetDouble() / 100);
        Assert.Equal(objective, history[^1].GetProperty("loss").GetDouble(), 1e-9);
        Assert.Contains("test accuracy: ", f.Train.Stdout);
    }

    [Fact]
    public void Eval_agrees_with_the_training_metrics()
    {
        var r = Cli.Ok(f.Dir.Path, "eval", "--model", f.Model, "--data", "digits", "--metrics-json", "eval.json", "--top-k", "3");
        var e = JsonDocument.Parse(File.ReadAllText(f.Dir["eval.json"])).RootElement;
        Assert.Equal(f.Metrics.GetProperty("test_accuracy").GetDouble(), e.GetProperty("accuracy").GetDouble());
        Assert.Equal(f.Metrics.GetProperty("test").GetProperty("log_loss").GetDouble(), e.GetProperty("log_loss").GetDouble(), 12);
        Assert.Equal(359, e.GetProperty("n_rows").GetInt32());
        var confusion = e.GetProperty("confusion_matrix").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        Assert.Equal(10, confusion.Length);
        Assert.Equal(359, confusion.Sum(row => row.Sum()));
        double trace = Enumerable.Range(0, 10).Sum(i => confusion[i][i]);
        Assert.Equal(e.GetProperty("accuracy").GetDouble(), trace / 359, 12);
        Assert.True(e.GetProperty("top_k_accuracy").GetDouble() >= e.GetProperty("accuracy").GetDouble());
        Assert.Equal(10, e.GetProperty("per_class").GetArrayLength());
        Assert.Contains("accuracy: ", r.Stdout);
        Assert.Contains("confusion matrix", r.Stdout);
    }

    [Fact]
    public void Predict_writes_one_row_per_input_with_probabilities_summing_to_one()
    {
        string output = f.Dir["predictions.csv"];
        Cli.Ok(f.Dir.Path, "predict", "--model", f.Model, "--data", f.Dir["digits-test.csv"], "--output", output, "--top-k", "10");
        var lines = File.ReadAllLines(output);
        Assert.Equal(360, lines.Length);
        Assert.StartsWith("row,label,probability,true_label,top1_label,top1_probability", lines[0]);
        int right = 0;
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            Assert.Equal(4 + 20, fields.Length);
            double sum = Enumerable.Range(0, 10).Sum(i => double.Parse(fields[5 + 2 * i], CultureInfo.InvariantCulture));
            Assert.Equal(1.0, sum, 5);
            Assert.Equal(fields[1], fields[4]);
            if (fields[1] == fields[3]) right++;
        }
        Assert.Equal(f.Metrics.GetProperty("test_accuracy").GetDouble(), right / 359.0, 12);
    }

    [Fact]
    public void Predict_streams_csv_from_stdin_as_json_lines()
    {
        var rows = File.ReadAllLines(f.Dir["digits-test.csv"]).Take(25).Select(l => string.Join(',', l.Split(',').SkipLast(1)));
        var r = Cli.Run(f.Dir.Path, ["predict", "--model", f.Model, "--output-format", "json", "--top-k", "3"], string.Join('\n', rows) + "\n");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(25, lines.Length);
        foreach (var line in lines)
        {
            var o = JsonDocument.Parse(line).RootElement;
            Assert.Equal(3, o.GetProperty("top").GetArrayLength());
            Assert.Equal(o.GetProperty("label").GetString(), o.GetProperty("top")[0].GetProperty("label").GetString());
            Assert.InRange(o.GetProperty("probability").GetDouble(), 0.1, 1.0);
        }
    }

    [Fact]
    public void Info_shows_the_model_file()
    {
        var r = Cli.Ok(f.Dir.Path, "info", "--model", f.Model);
        Assert.Contains("classes: 10", r.Stdout);
        Assert.Contains("features: 64", r.Stdout);
        Assert.Contains("file version: 1", r.Stdout);
        Assert.Contains("solver: lbfgs", r.Stdout);
        Assert.Contains("image: 8x8x1", r.Stdout);
    }

    [Fact]
    public void Report_is_one_self_contained_html_page()
    {
        Cli.Ok(f.Dir.Path, "report", "--model", f.Model, "--data", "digits", "--out", "report.html");
        string html = File.ReadAllText(f.Dir["report.html"]);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.True(html.Split("data:image/png;base64,").Length - 1 >= 3, "expected weights, confusion and gallery images");
        Assert.DoesNotContain("src=\"http", html);
        Assert.Contains("Most confidently wrong", html);
        Assert.Contains("Per class", html);
    }

    [Theory]
    [InlineData("weights", 500, 250)]
    [InlineData("confusion", 400, 400)]
    [InlineData("learning-curve-loss", 600, 300)]
    [InlineData("learning-curve-accuracy", 600, 300)]
    public void Plots_are_valid_png_and_svg_files(string name, int minWidth, int minHeight)
    {
        var png = File.ReadAllBytes(Path.Combine(f.Dir.Path, "plots", name + ".png"));
        Assert.True(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16));
        int height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        Assert.True(width >= minWidth && height >= minHeight, $"{name}.png is {width}x{height}");
        Assert.InRange(png.Length, 5_000, 2_000_000);
        string svg = File.ReadAllText(Path.Combine(f.Dir.Path, "plots", name + ".svg"));
        Assert.Contains("<svg", svg);
        Assert.True(svg.Length > 2_000);
        Assert.Empty(Directory.GetFiles(Path.Combine(f.Dir.Path, "plots"), "*.tmp*"));
    }
}

using System.Text.Json;

namespace Softmax.Cli.Tests;

/// <summary>L-BFGS counts evaluations of F and ∇F, not epochs: in the metrics JSON, its history and the summary; mini-batch solvers keep epochs.</summary>
[Collection("digits")]
public class CountsInMetricsTests(DigitsFixture f)
{
    [Fact]
    public void Lbfgs_metrics_have_evaluations_and_no_epochs()
    {
        var m = f.Metrics;
        Assert.Equal(JsonValueKind.Null, m.GetProperty("epochs").ValueKind);
        int iterations = m.GetProperty("iterations").GetInt32(), evaluations = m.GetProperty("evaluations").GetInt32();
        // One evaluation at the start, then at least one line-search trial per iteration.
        Assert.InRange(evaluations, iterations + 1, 20 * iterations);
        var history = m.GetProperty("history").EnumerateArray().ToArray();
        Assert.All(history, h => Assert.Equal(JsonValueKind.Null, h.GetProperty("epoch").ValueKind));
        var counts = history.Select(h => h.GetProperty("evaluations").GetInt32()).ToArray();
        Assert.All(counts.Zip(counts.Skip(1)), p => Assert.True(p.Second > p.First, $"{p.First} then {p.Second}"));
        Assert.True(counts[^1] <= evaluations);
        Assert.Contains($"evaluations: {evaluations}", f.Train.Stdout);
        // The model file keeps the same count, and `info` names it.
        var info = Cli.Ok(f.Dir.Path, "info", "--model", f.Model, "-q").Stdout;
        Assert.Contains($"evaluations: {evaluations}", info);
        Assert.DoesNotContain("\nepochs:", info);
    }

    [Fact]
    public void Mini_batch_metrics_keep_epochs_and_have_no_evaluations()
    {
        using var dir = new TempDir();
        var r = Cli.Ok(dir.Path, "train", "--solver", "sgd", "--epochs", "3", "--lr", "0.001", "--metrics-json", "m.json", "--threads", "1");
        var m = JsonDocument.Parse(File.ReadAllText(dir["m.json"])).RootElement;
        Assert.Equal(3, m.GetProperty("epochs").GetInt32());
        Assert.Equal(JsonValueKind.Null, m.GetProperty("evaluations").ValueKind);
        var history = m.GetProperty("history").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3], history.Select(h => h.GetProperty("epoch").GetInt32()));
        Assert.All(history, h => Assert.Equal(JsonValueKind.Null, h.GetProperty("evaluations").ValueKind));
        Assert.Contains("epochs: 3", r.Stdout);
        Assert.DoesNotContain("evaluations:", r.Stdout);
    }
}

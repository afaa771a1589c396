using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Softmax.Cli.Tests;

/// <summary>Issue 17's defaults, curves, early stopping and small things, and issue 16's tune --folds and refit.</summary>
public class CourseDefaultsAndTuneTests
{
    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static double Info(string stdout, string key)
    {
        var m = Regex.Match(stdout, $@"(?m)^{Regex.Escape(key)}: ([0-9.Ee+-]+)");
        Assert.True(m.Success, $"no '{key}' in:\n{stdout}");
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void The_digits_default_is_scaled_by_16_and_regularised_so_it_does_not_interpolate()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "-q", "--metrics-json", "m.json");
        var m = Json(dir["m.json"]);
        var h = m.GetProperty("hyperparameters");
        Assert.Equal(2e-4, h.GetProperty("l2").GetDouble());
        Assert.Equal(1 / 16.0, double.Parse(h.GetProperty("preprocess_scale").GetString()!, CultureInfo.InvariantCulture), 1e-9);
        // Before: λ 1e-4 on raw 0..16 pixels, train accuracy 1.0 and test log-loss 0.188.
        Assert.True(m.GetProperty("train_accuracy").GetDouble() < 1.0);
        Assert.True(m.GetProperty("test_log_loss").GetDouble() < 0.15, $"test log-loss {m.GetProperty("test_log_loss").GetDouble()}");
        Assert.True(m.GetProperty("test_accuracy").GetDouble() > 0.96);
        // --preprocess scale divides by the declared range (16 for digits), not 255.
        Cli.Ok(dir.Path, "train", "-q", "--preprocess", "scale", "--model", "s.softmax");
        Assert.Equal(0.0625, Info(Cli.Ok(dir.Path, "info", "--model", "s.softmax", "-q").Stdout, "setting preprocess_scale"), 9);
    }

    [Fact]
    public void Early_stopping_watches_the_validation_loss_with_min_delta()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "--solver", "sgd", "--lr", "0.02", "--epochs", "300", "--validation-fraction", "0.2",
            "--patience", "3", "--min-delta", "0.005", "-q", "--metrics-json", "m.json");
        var m = Json(dir["m.json"]);
        Assert.Equal("EarlyStopping", m.GetProperty("stop_reason").GetString());
        var history = m.GetProperty("history").EnumerateArray().ToArray();
        // The rule, recomputed from the recorded validation losses: stop once 3 validations in a row fail to beat the
        // best by more than 0.005.
        double best = double.PositiveInfinity;
        int since = 0, stopAt = -1;
        foreach (var e in history)
        {
            double loss = e.GetProperty("validation_loss").GetDouble();
            if (loss < best - 0.005) { best = loss; since = 0; } else since++;
            if (since >= 3) { stopAt = e.GetProperty("epoch").GetInt32(); break; }
        }
        Assert.Equal(stopAt, history[^1].GetProperty("epoch").GetInt32());
        Assert.True(stopAt > 20, $"stopped at epoch {stopAt}: too early for lr 0.02");
        Assert.Equal(2, Cli.Run(dir.Path, ["train", "--min-delta", "0.01"]).ExitCode);
    }

    [Fact]
    public void Tune_folds_reports_mean_and_std_and_refits_on_all_training_rows()
    {
        using var dir = new TempDir();
        var r = Cli.Ok(dir.Path, "tune", "--folds", "3", "--l2-grid", "1e-4,1e-1", "--metrics-json", "t.json", "--model", "cv.softmax", "--plots", "sweep");
        Assert.Contains("mean ± std over 3 folds", r.Stdout);
        var t = Json(dir["t.json"]);
        Assert.Equal(3, t.GetProperty("folds").GetInt32());
        Assert.True(t.GetProperty("refit").GetBoolean());
        var trials = t.GetProperty("trials").EnumerateArray().ToArray();
        Assert.Equal(1e-4, trials[0].GetProperty("l2").GetDouble());
        foreach (var trial in trials)
        {
            var folds = trial.GetProperty("fold_accuracies").EnumerateArray().Select(f => f.GetDouble()).ToArray();
            Assert.Equal(3, folds.Length);
            double mean = folds.Average();
            double std = Math.Sqrt(folds.Sum(a => (a - mean) * (a - mean)) / 2);
            Assert.Equal(mean, trial.GetProperty("validation_accuracy").GetDouble(), 12);
            Assert.Equal(std, trial.GetProperty("validation_accuracy_std").GetDouble(), 12);
            Assert.True(std > 0);
        }
        // Refitted on all training rows: as many as a plain train run sees.
        Cli.Ok(dir.Path, "train", "-q", "--metrics-json", "m.json", "--model", "plain.softmax");
        int all = Json(dir["m.json"]).GetProperty("n_train").GetInt32();
        Assert.Equal(all, (int)Info(Cli.Ok(dir.Path, "info", "--model", "cv.softmax", "-q").Stdout, "training rows"));
        Cli.Ok(dir.Path, "tune", "--l2-grid", "1e-4", "--no-refit", "--model", "split.softmax", "-q");
        // --no-refit: the trial's own model, fit on the rows its validation split left (about 80 %, rounded per class).
        Assert.InRange(Info(Cli.Ok(dir.Path, "info", "--model", "split.softmax", "-q").Stdout, "training rows"), all * 0.8 - 10, all * 0.8 + 10);
        foreach (var f in new[] { "sweep-loss.png", "sweep-accuracy.png" })
            Assert.Equal(0x89, File.ReadAllBytes(Path.Combine(dir.Path, "sweep", f))[0]);
        Assert.Equal(2, Cli.Run(dir.Path, ["tune", "--folds", "1"]).ExitCode);
    }

    [Fact]
    public void Every_hyper_parameter_is_recorded_in_the_model_and_metrics_and_the_report_draws_the_curves()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "--solver", "sgd", "--lr", "0.05", "--momentum", "0.9", "--nesterov", "--batch-size", "64", "--epochs", "4",
            "--schedule", "step:2:0.5", "-q", "--metrics-json", "m.json", "--validation-fraction", "0.2", "--plots", "plots");
        var h = Json(dir["m.json"]).GetProperty("hyperparameters");
        Assert.Equal("0.05", h.GetProperty("lr").GetString());
        Assert.Equal("0.9", h.GetProperty("momentum").GetString());
        Assert.Equal("true", h.GetProperty("nesterov").GetString());
        Assert.Equal("64", h.GetProperty("batch_size").GetString());
        Assert.Equal("4", h.GetProperty("epochs").GetString());
        Assert.Contains("2", h.GetProperty("schedule").GetString());
        var info = Cli.Ok(dir.Path, "info", "--model", "model.softmax", "-q").Stdout;
        Assert.Equal(0.05, Info(info, "setting lr"));
        Assert.Equal(64, Info(info, "setting batch_size"));
        var report = Cli.Ok(dir.Path, "report", "--model", "model.softmax", "--out", "r.html", "-q");
        string html = File.ReadAllText(dir["r.html"]);
        Assert.Contains("<h2>Learning curves</h2>", html);
        Assert.Contains("momentum", html);
        // Curves: validation, never test, per epoch.
        string accuracy = File.ReadAllText(Path.Combine(dir.Path, "plots", "learning-curve-accuracy.svg"));
        Assert.Contains("validation accuracy", accuracy);
        Assert.DoesNotContain("test accuracy", accuracy);
    }

    [Fact]
    public void The_lbfgs_loss_curve_is_the_distance_to_the_final_objective_on_a_log_axis()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "-q", "--plots", "plots");
        string svg = File.ReadAllText(Path.Combine(dir.Path, "plots", "learning-curve-loss.svg"));
        Assert.Contains("F − F_final", svg);
        Assert.Contains("log scale", svg);
        Assert.Contains("1E-05", svg);   // decades as tick labels
    }

    [Fact]
    public void Gradcheck_names_the_worst_coordinate_as_W_or_b()
    {
        using var dir = new TempDir();
        var r = Cli.Run(dir.Path, ["gradcheck", "--step", "0.5", "--checks", "50", "--l2", "0", "-q"]);
        Assert.Matches(@"worst coordinate: (W\[\d, \d+\]|b\[\d\]) \(θ index \d+\)", r.Stdout);
    }

    [SkippableFact]
    public void Predict_on_a_terminal_says_it_reads_stdin()
    {
        Skip.IfNot(File.Exists("/usr/bin/script"), "needs util-linux's script to give the CLI a terminal");
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "-q");
        string command = $"dotnet '{Cli.Dll}' predict --model model.softmax";
        var info = new ProcessStartInfo("timeout", ["15", "script", "-qec", command, "/dev/null"])
        {
            WorkingDirectory = dir.Path, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        using var p = Process.Start(info)!;
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Contains("reading CSV rows (64 values each) from the terminal", output);
    }
}

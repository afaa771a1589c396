using System.Text.Json;

namespace Softmax.Cli.Tests;

/// <summary>The acceptance run of the issue on Fashion-MNIST from Debian's dataset-fashion-mnist (CI installs it).</summary>
public class FashionMnistTests
{
    private const string Directory = "/usr/share/datasets/fashion-mnist";
    private const double FStar = 0.3794770768995895;   // shared/reference/fashion-mnist-optimum.json

    [Fact]
    public void Lbfgs_reaches_the_reference_optimum_and_test_accuracy()
    {
        Assert.True(System.IO.Directory.Exists(Directory) && System.IO.Directory.GetFiles(Directory, "*idx3-ubyte*").Length >= 2,
            $"{Directory} is missing: install it with 'apt-get install -y dataset-fashion-mnist' (.ci/run does)");
        using var dir = new TempDir();
        // The README's command: auto precision polishes in float64 and lands on F* far inside the 1e-10 of issue 13.
        Cli.Ok(dir.Path, "train", "--data", "fashion-mnist", "--solver", "lbfgs", "--l2", "1e-4", "--tol", "1e-9", "--metrics-json", "m.json", "-q");
        var m = JsonDocument.Parse(File.ReadAllText(dir["m.json"])).RootElement;
        double objective = m.GetProperty("objective").GetDouble();
        Assert.Equal("Converged", m.GetProperty("stop_reason").GetString());
        Assert.True(Math.Abs(objective - FStar) / FStar <= 1e-10, $"objective {objective:R} vs F* {FStar:R}: relative {Math.Abs(objective - FStar) / FStar:E2}");
        Assert.True(m.GetProperty("test_accuracy").GetDouble() >= 0.84, $"test accuracy {m.GetProperty("test_accuracy")}");
        Assert.Equal(60000, m.GetProperty("n_train").GetInt32());
        Assert.Equal(784, m.GetProperty("n_features").GetInt32());
    }

    [Fact]
    public void Rows_that_do_not_fit_the_memory_give_a_clear_error_and_no_model()
    {
        using var dir = new TempDir();
        // A 40 MiB GC heap cannot hold the 45 MiB of training rows; --memory-limit keeps the tool from streaming.
        var env = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x2800000" };
        var r = Cli.Run(dir.Path, ["train", "--data", "fashion-mnist", "--memory-limit", "10000000000", "-q"], env: env);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("out of memory", r.Stderr);
        Assert.Contains("--stream", r.Stderr);
        Assert.DoesNotContain("OutOfMemoryException", r.Stderr);
        Assert.False(File.Exists(dir["model.softmax"]), r.ToString());
    }
}

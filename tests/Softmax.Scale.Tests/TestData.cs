using System.Diagnostics;
using System.Text.Json;
using Softmax.Data;

namespace Softmax.Scale.Tests;

/// <summary>Synthetic data, temporary folders and the host process the child-process tests run.</summary>
internal static class TestData
{
    public const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>Rows of uint8 pixels: a class prototype plus noise, so the problem is learnable but not separable.</summary>
    public static Dataset Bytes(int rows, int features, int classes, int seed, bool weights = false)
    {
        var rng = new Random(seed);
        var prototypes = new byte[classes * features];
        rng.NextBytes(prototypes);
        var data = new byte[(long)rows * features];
        var labels = new int[rows];
        var noise = new byte[features];
        for (int i = 0; i < rows; i++)
        {
            int y = labels[i] = rng.Next(classes);
            rng.NextBytes(noise);
            for (int d = 0; d < features; d++) data[(long)i * features + d] = (byte)((prototypes[y * features + d] + 3 * noise[d]) / 4);
        }
        float[]? w = weights ? Enumerable.Range(0, rows).Select(_ => (float)(0.25 + rng.NextDouble())).ToArray() : null;
        return new Dataset(new ByteMatrix(data, rows, features), labels, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(), w);
    }

    /// <summary>The same rows as float32 (dense).</summary>
    public static Dataset Dense(Dataset bytes, float scale) =>
        bytes.WithFeatures(((ByteMatrix)bytes.Features).WithScale(scale).ToDense());

    public static string TempDirectory(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "softmax-scale-tests", $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The built host (softmax-mpi) beside the test assembly's build tree.</summary>
    public static string Host
    {
        get
        {
            string config = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
            string path = Path.Combine(root, "src/Softmax.Distributed.Host/bin", config, "net10.0/softmax-mpi.dll");
            if (!File.Exists(path)) throw new FileNotFoundException($"Build src/Softmax.Distributed.Host ({config}) first: {path} is missing.");
            return path;
        }
    }

    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    public sealed record Run(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed, Process Process)
    {
        public IReadOnlyList<JsonElement> Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
    }

    /// <summary>Starts a process; <paramref name="whileRunning"/> may act on it (kill a rank) before it is awaited.</summary>
    public static Run Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null,
        Action<Process>? whileRunning = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        whileRunning?.Invoke(p);
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in time.\n{stderr.Result}");
        }
        p.WaitForExit();
        return new Run(p.ExitCode, stdout.Result, stderr.Result, clock.Elapsed, p);
    }

    public static Run Dotnet(IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        Start("dotnet", new[] { Host }.Concat(args), env, timeout);

    public static double RelativeDifference(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(a), Math.Abs(b));
}

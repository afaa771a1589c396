using System.Globalization;
using System.Text.Json;
using Softmax.Data;
using Softmax.TestSupport;

namespace Softmax.Scale.Tests;

/// <summary>Synthetic data and the runs of the real <c>softmax</c> tool that the child-process tests make.</summary>
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

    /// <summary>
    /// The arguments of <c>softmax train</c> with the model and metrics written into <paramref name="dir"/> as
    /// NAME.softmax (or <paramref name="model"/>) and NAME.json (quiet: plain lines, no progress bars).
    /// </summary>
    public static string[] Train(string dir, string name, IEnumerable<string> args, string? model = null) =>
        ["train", .. args, "--quiet", "--model", model ?? Path.Combine(dir, name + ".softmax"), "--metrics-json", Path.Combine(dir, name + ".json")];

    /// <summary><c>dotnet Softmax.Cli.dll ARGS</c> in one process.</summary>
    public static ProcessResult Softmax(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        ChildProcess.Run("dotnet", [SoftmaxCli.Dll, .. args], timeout, env);

    /// <summary>The arguments of <c>mpiexec.mpich</c> that run <c>softmax ARGS</c> on <paramref name="ranks"/> ranks.</summary>
    public static string[] Mpi(int ranks, IEnumerable<string> args) => ["-n", ranks.ToString(CultureInfo.InvariantCulture), "dotnet", SoftmaxCli.Dll, .. args];

    /// <summary>The metrics JSON that a <see cref="Train"/> run named <paramref name="name"/> wrote.</summary>
    public static JsonElement Metrics(string dir, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")));
        return doc.RootElement.Clone();
    }

    /// <summary>F, as the metrics JSON records it (a round-trip double).</summary>
    public static double Objective(JsonElement metrics) => metrics.GetProperty("objective").GetDouble();

    /// <summary>Each rank's SHA-256 of its final weights (a distributed run's metrics).</summary>
    public static string[] Hashes(JsonElement metrics) =>
        metrics.GetProperty("rank_weights_sha256").EnumerateArray().Select(h => h.GetString()!).ToArray();

    public static double RelativeDifference(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(a), Math.Abs(b));
}

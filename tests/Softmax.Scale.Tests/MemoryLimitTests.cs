using System.Globalization;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Optimization;
using Softmax.Streaming;

namespace Softmax.Scale.Tests;

/// <summary>
/// Acceptance: data about 3× larger than a memory limit train in a child process whose GC heap is capped at the limit;
/// its peak resident set (VmHWM, which counts mapped file pages too) stays under the limit, and F equals the in-memory
/// engine's F over the same rows in the same block order.
/// </summary>
public sealed class MemoryLimitTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const long Limit = 128L << 20;
    private const int Features = 784, Classes = 10, Iterations = 6;
    private readonly TempDir _temp = new("memlimit");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Three_times_the_memory_limit_streams_under_the_limit_to_the_in_memory_F()
    {
        int rows = (int)(3 * Limit / Features) + 1000;   // 3.02× the limit in uint8 rows
        string path = Path.Combine(_temp.Path, "big.smxp");
        WriteSynthetic(path, rows);
        Assert.True(new FileInfo(path).Length > 3 * Limit);

        // `softmax train --memory-limit L` streams blocks of L/16 bytes (MemoryBudget.BlockBytesFor); --stream says so outright.
        var child = TestData.Softmax(TestData.Train(_temp.Path, "streamed", ["--data", path, "--stream", "--memory-limit", Limit.ToString(CultureInfo.InvariantCulture),
            "--threads", "2", "--max-iter", Iterations.ToString(CultureInfo.InvariantCulture)]),
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x" + Limit.ToString("X", CultureInfo.InvariantCulture) },
            TimeSpan.FromMinutes(3));
        Assert.True(child.ExitCode == 0, child.ToString());
        var metrics = TestData.Metrics(_temp.Path, "streamed");
        Assert.True(metrics.GetProperty("streamed").GetBoolean());
        long peak = metrics.GetProperty("peak_rss_bytes").GetInt64();
        double streamedF = TestData.Objective(metrics);
        Assert.True(peak < Limit, $"peak RSS {peak >> 20} MiB ≥ limit {Limit >> 20} MiB");

        // The reference, in this (unlimited) process: the in-memory engine over the whole dataset, same block order.
        using var file = PackedDataset.Open(path);
        int blockRows = new StreamingOptions(MemoryBudget.BlockBytesFor(Limit)).BlockRows(file.Header);
        var data = new Preprocessor(PreprocessKind.Scale, Preprocessor.PixelScale).Apply(file.Load());
        var loss = new BlockOrderedLoss(new CpuSoftmaxLoss(data, new CpuEngineOptions(2)), blockRows);
        var objective = new SoftmaxObjective(loss, 1e-4);
        var solver = new LbfgsSolver(new LbfgsOptions { MaxIterations = Iterations }, FeatureMoments.Compute(data.Features));
        var result = solver.Minimize(objective, new double[objective.Dimension], new SolverContext());
        double memoryF = objective.ExactValue(result.Theta);   // the CLI reports F in float64
        output.WriteLine($"{rows} rows, {new FileInfo(path).Length >> 20} MiB file, limit {Limit >> 20} MiB, child peak RSS {peak >> 20} MiB, " +
                         $"child {child.Elapsed.TotalSeconds:F1} s; F in memory {memoryF:R}, streamed {streamedF:R}");
        Assert.True(TestData.RelativeDifference(memoryF, streamedF) <= 1e-9, $"in memory {memoryF:R}, streamed {streamedF:R}");
    }

    private static void WriteSynthetic(string path, int rows)
    {
        using var writer = new PackedDatasetWriter(path, Features, Enumerable.Range(0, Classes).Select(c => $"c{c}").ToArray(), PackedElementType.UInt8);
        const int Step = 8192;
        var chunk = TestData.Bytes(Step, Features, Classes, seed: 42);
        var bytes = ((ByteMatrix)chunk.Features).Data;
        var rng = new Random(7);
        for (int start = 0; start < rows; start += Step)
        {
            int n = Math.Min(Step, rows - start);
            // Vary each chunk a little so blocks differ: shift every value by a small chunk-dependent amount.
            byte shift = (byte)rng.Next(8);
            var shifted = bytes.AsSpan(0, n * Features).ToArray();
            for (int i = 0; i < shifted.Length; i++) shifted[i] = (byte)Math.Min(255, shifted[i] + shift);
            writer.Append(shifted, chunk.Labels.AsSpan(0, n));
        }
        writer.Complete();
    }
}

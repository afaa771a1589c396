// softmax-mpi: runs what `softmax data pack`, `softmax train --stream` and `softmax train --distributed` will run,
// for tests and benchmarks, until the CLI wires them. Prints one JSON line per rank on stdout; errors on stderr.
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using Softmax.Data;
using Softmax.Distributed;
using Softmax.Distributed.Host;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;
using Softmax.Streaming;

var flags = new HashSet<string> { "--stream", "--distributed", "--no-precondition", "--no-double-buffer", "--no-verify" };
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: softmax-mpi pack SOURCE OUT.smxp [--rows START:COUNT] | train FILE... [options: --distributed --solver lbfgs|sgd|adam --average-every K --slices K ...] | allreduce-bench [--sizes N,N] [--reps N]");
    return 2;
}
string command = args[0];
var a = new HostArguments(args.Skip(1), flags);
try
{
    return command switch
    {
        "pack" => Pack(a),
        "train" => a.Has("--distributed") ? TrainDistributed(a, ref args) : TrainLocal(a),
        "allreduce-bench" => AllReduceBench(ref args, a),
        _ => throw new ArgumentException($"Unknown command {command}."),
    };
}
catch (Exception e) when (e is ArgumentException or IOException or PackedFormatException or NotSupportedException or InvalidOperationException or TrainingDivergedException)
{
    Console.Error.WriteLine($"softmax-mpi: {e.Message}");
    return 1;
}

static int Pack(HostArguments a)
{
    if (a.Positional.Count != 2) throw new ArgumentException("pack needs SOURCE and OUT.smxp.");
    var data = a.Positional[0].EndsWith(".smxp", StringComparison.OrdinalIgnoreCase)
        ? LoadPacked(a.Positional[0]) : DataLoader.Load(a.Positional[0]);
    if (a.Text("--rows") is { } range)
    {
        var parts = range.Split(':');
        data = data.Slice(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
    var header = PackedDataset.Pack(data, a.Positional[1], new PackOptions((int)a.Integer("--chunk-bytes", 1 << 20)));
    Console.WriteLine(JsonSerializer.Serialize(new { rows = header.Rows, features = header.Features, classes = header.Classes, type = header.ElementType.ToString() }));
    return 0;
}

static Dataset LoadPacked(string path)
{
    using var f = PackedDataset.Open(path);
    return f.Load();
}

static TrainingOptions Options(HostArguments a) => new()
{
    Solver = a.Text("--solver") switch { null or "lbfgs" => SolverKind.Lbfgs, "sgd" => SolverKind.Sgd, "adam" => SolverKind.Adam, var s => throw new ArgumentException($"Unknown solver {s}.") },
    L2 = a.Number("--l2", 1e-4),
    Seed = (int)a.Integer("--seed", 0),
    Momentum = a.Number("--momentum", 0),
    Engine = new Softmax.Engine.CpuEngineOptions(Threads: (int)a.Integer("--threads", 0)),
    Lbfgs = new LbfgsOptions
    {
        MaxIterations = (int)a.Integer("--max-iter", 1000),
        RelativeTolerance = a.Number("--tol", 1e-10),
        Precondition = !a.Has("--no-precondition"),
    },
    MiniBatch = new MiniBatchOptions { Epochs = (int)a.Integer("--epochs", 5), LearningRate = a.Number("--lr", 0.1), BatchSize = (int)a.Integer("--batch", 256), Seed = (int)a.Integer("--seed", 0) },
};

static StreamingOptions Stream(HostArguments a, long? limit) => new(
    BlockBytes: a.Integer("--block-bytes", MemoryBudget.BlockBytesFor(limit)),
    DoubleBuffer: !a.Has("--no-double-buffer"));

static IProgress<TrainingProgress> PidWriter(HostArguments a, int rank)
{
    string? dir = a.Text("--pid-dir");
    bool written = false;
    return new SyncProgress(_ =>
    {
        if (dir is null || written) return;
        written = true;
        File.WriteAllText(Path.Combine(dir, $"rank-{rank}.pid"), System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    });
}

static int TrainLocal(HostArguments a)
{
    if (a.Positional.Count != 1) throw new ArgumentException("train without --distributed takes one data file.");
    long? limit = a.Has("--memory-limit") ? a.Integer("--memory-limit", 0) : null;
    var options = Options(a);
    var clock = Stopwatch.StartNew();
    using var file = PackedCache.OpenOrCreate(a.Positional[0]);
    bool stream = a.Has("--stream") || MemoryBudget.ShouldStream(file.DecodedBytes, limit);
    TrainingResult result = stream
        ? StreamingTrainer.Fit(file, options, Stream(a, limit), progress: PidWriter(a, 0))
        : SoftmaxTrainer.Fit(file.Load(), options, PidWriter(a, 0));
    if (a.Text("--model") is { } model) ModelFile.Save(result.Model, model);
    Report(0, 1, stream, result, clock.Elapsed, null);
    return 0;
}

static int TrainDistributed(HostArguments a, ref string[] args)
{
    if (a.Positional.Count < 1) throw new ArgumentException("train --distributed needs one file to split by rows, or one file per rank.");
    using var mpi = MpiRuntime.Start(ref args);
    try
    {
        var clock = Stopwatch.StartNew();
        var options = Options(a);
        var timeout = TimeSpan.FromSeconds(a.Number("--collective-timeout", 600));
        var settings = new DistributedOptions(Stream(a, null), timeout, (int)a.Integer("--average-every", 0), (int)a.Integer("--slices", 1));
        var run = DistributedTrainer.Fit(mpi, a.Positional, options, a.Text("--model"), settings, PidWriter(a, mpi.Rank));
        // Rank 0 alone prints, with every rank's weight hash: the ranks' stdout would interleave through the launcher.
        var (hashes, allReduceSeconds) = GatherByAllReduce(mpi, run);
        if (mpi.Rank == 0) Report(0, mpi.Size, true, run.Result, clock.Elapsed, run, hashes, allReduceSeconds);
        return 0;
    }
    catch (Exception e)
    {
        // Abort the whole job: the other ranks would otherwise wait in the next allreduce.
        Console.Error.WriteLine($"softmax-mpi: rank {mpi.Rank}: {e.Message} Aborting the job; no model was written.");
        Console.Error.Flush();
        mpi.Abort(1);
        return 1;
    }
}

// Each rank fills its own slots (the hash as four exact 16-bit pieces, its allreduce time) and the sum gathers them;
// MPI.NET's Gather of non-primitive values would go through BinaryFormatter, which .NET no longer has.
static (string[] Hashes, double[] Seconds) GatherByAllReduce(MpiRuntime mpi, DistributedResult run)
{
    int K = mpi.Size, r = mpi.Rank;
    var slots = new double[5 * K];
    ulong hash = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(run.Result.Model.Parameters.AsSpan()));
    for (int k = 0; k < 4; k++) slots[4 * r + k] = (hash >> (16 * k)) & 0xFFFF;
    slots[4 * K + r] = run.AllReduce.Elapsed.TotalSeconds;
    new MpiAllReduce(mpi.World).SumInPlace(slots);
    var hashes = new string[K];
    for (int q = 0; q < K; q++)
    {
        ulong h = 0;
        for (int k = 0; k < 4; k++) h |= (ulong)slots[4 * q + k] << (16 * k);
        hashes[q] = h.ToString("x16", CultureInfo.InvariantCulture);
    }
    return (hashes, slots[(4 * K)..]);
}

static string ThetaHash(double[] theta) =>
    XxHash64.HashToUInt64(MemoryMarshal.AsBytes(theta.AsSpan())).ToString("x16", CultureInfo.InvariantCulture);

static void Report(int rank, int ranks, bool streamed, TrainingResult r, TimeSpan wall, DistributedResult? d,
    string[]? rankHashes = null, double[]? rankAllReduceSeconds = null)
{
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        rank,
        ranks,
        streamed,
        objective = r.Objective.ToString("R", CultureInfo.InvariantCulture),
        iterations = r.Solver.Iterations,
        epochs = r.Solver.Epochs,
        solver = r.Model.Training.Solver,
        model_averages = r.Model.Training.Settings?.GetValueOrDefault("model_averages"),
        evaluations = r.Solver.Evaluations,
        reason = r.Solver.Reason.ToString(),
        solver_seconds = r.Elapsed.TotalSeconds,
        wall_seconds = wall.TotalSeconds,
        theta_hash = ThetaHash(r.Model.Parameters),
        rank_theta_hashes = rankHashes,
        peak_rss_bytes = PeakRss(),
        shard_rows = d?.Shard.RowCount,
        allreduce_calls = d?.AllReduce.Calls,
        allreduce_seconds = rankAllReduceSeconds,
    }));
}

static long PeakRss()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    return Process.GetCurrentProcess().PeakWorkingSet64;
}

static int AllReduceBench(ref string[] args, HostArguments a)
{
    using var mpi = MpiRuntime.Start(ref args);
    var sizes = (a.Text("--sizes") ?? "1,16,256,4096,7850,65536,1048576,8388608").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture));
    int reps = (int)a.Integer("--reps", 200);
    var reduce = new MpiAllReduce(mpi.World);
    foreach (int n in sizes)
    {
        var buffer = new double[n];
        int r = Math.Max(3, (int)Math.Min(reps, 4e8 / Math.Max(1, 8L * n)));
        for (int i = 0; i < 3; i++) reduce.SumInPlace(buffer);
        mpi.World.Barrier();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < r; i++) reduce.SumInPlace(buffer);
        double us = clock.Elapsed.TotalMicroseconds / r;
        if (mpi.Rank == 0) Console.WriteLine(JsonSerializer.Serialize(new { ranks = mpi.Size, doubles = n, bytes = 8L * n, microseconds = us, reps = r }));
    }
    return 0;
}

/// <summary>Calls the handler on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => handler(value);
}

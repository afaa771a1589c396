using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Softmax.Cli.Tests;

/// <summary>
/// Fashion-MNIST packed by <c>softmax data pack</c>: the whole training set and its two halves (row shards). Needs
/// MPICH's <c>mpiexec.mpich</c> and Debian's dataset-fashion-mnist: under CI (<c>CI=true</c>, where .ci/run installs
/// both) their absence fails the tests; elsewhere the tests are skipped with the reason.
/// </summary>
public sealed class MpiCliFixture : IDisposable
{
    public const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    public MpiCliFixture()
    {
        Mpiexec = Tools.Which("mpiexec.mpich");
        bool data = Directory.Exists(FashionMnist) && Directory.GetFiles(FashionMnist, "train-images-idx3-ubyte*").Length > 0;
        Missing = Mpiexec is null ? "mpiexec.mpich is not installed: apt-get install mpich libmpich-dev (.ci/run does)"
            : !data ? $"{FashionMnist} is missing: apt-get install dataset-fashion-mnist (.ci/run does)" : null;
        if (Missing is not null) return;
        Cli.Ok(Dir.Path, "data", "pack", "fashion-mnist", "whole.smxp", "-q");
        Cli.Ok(Dir.Path, "data", "pack", "fashion-mnist", "shard0.smxp", "--rows", "0:30000", "-q");
        Cli.Ok(Dir.Path, "data", "pack", "fashion-mnist", "shard1.smxp", "--rows", "30000:30000", "-q");
    }

    public TempDir Dir { get; } = new();
    public string? Mpiexec { get; }
    public string? Missing { get; }

    /// <summary>Fails under CI, skips elsewhere, when MPICH or the data is missing.</summary>
    public void Require()
    {
        if (Missing is null) return;
        Assert.False(Tools.UnderCi, Missing);
        Skip.If(true, Missing);
    }

    public void Dispose() => Dir.Dispose();
}

[CollectionDefinition("mpi")]
public sealed class MpiCliCollection : ICollectionFixture<MpiCliFixture>;

/// <summary>
/// <c>mpiexec.mpich -n 2 dotnet Softmax.Cli.dll train --distributed ...</c> on one machine: the same F as the
/// single-process run, rank 0 alone writing the model and the metrics, and a killed rank ending the job cleanly.
/// </summary>
[Collection("mpi")]
public sealed class DistributedCliTests(MpiCliFixture fixture)
{
    private static readonly string[] Common = ["--l2", "1e-3", "--max-iter", "40"];

    private sealed record Job(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

    /// <summary>Runs the CLI under mpiexec; <paramref name="onLine"/> sees each stdout line as it arrives.</summary>
    private Job Mpi(string workDir, int ranks, string[] args, TimeSpan timeout, Action<string>? onLine = null, Action<Process>? whileRunning = null)
    {
        try
        {
            var r = ChildProcess.Run(new ChildProcess.Start(fixture.Mpiexec!, ["-n", ranks.ToString(CultureInfo.InvariantCulture), "dotnet", Cli.Dll, .. args])
            {
                WorkingDirectory = workDir,
                Environment = new Dictionary<string, string> { ["SOFTMAX_CACHE"] = Path.Combine(workDir, "cache") },
                Timeout = timeout,
                OnStdoutLine = onLine,
                WhileRunning = whileRunning,
            });
            return new Job(r.ExitCode, r.Stdout, r.Stderr, r.Elapsed);
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"mpiexec {string.Join(' ', args)} did not finish in {timeout.TotalSeconds} s\n{e.Message}");
            throw;
        }
    }

    private static JsonElement Metrics(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();

    private static double Relative(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(a), Math.Abs(b));

    /// <summary>A distributed run that diverges (a learning rate far too large) exits 3 on every rank, as a single process does.</summary>
    [SkippableFact]
    public void A_diverged_distributed_run_exits_3_with_one_warning()
    {
        fixture.Require();
        using var dir = new TempDir();
        string shards = string.Join(',', Path.Combine(fixture.Dir.Path, "shard0.smxp"), Path.Combine(fixture.Dir.Path, "shard1.smxp"));
        var job = Mpi(dir.Path, 2, ["train", "--distributed", "--data", shards, "--threads", "1", "--collective-timeout", "60",
            "--solver", "sgd", "--lr", "100", "--epochs", "1", "--model", "m.softmax", "-q"], TimeSpan.FromMinutes(3));
        Assert.True(job.ExitCode == 3, $"exit {job.ExitCode}\n{job.Stdout}\n{job.Stderr}");
        Assert.Single(job.Stderr.Split('\n'), l => l.Contains("training diverged", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Two_ranks_reach_the_single_process_F_and_only_rank_0_writes()
    {
        fixture.Require();
        using var dir = new TempDir();
        string whole = Path.Combine(fixture.Dir.Path, "whole.smxp");
        Cli.Ok(dir.Path, ["train", "--data", whole, "--threads", "2", "--metrics-json", "single.json", "--model", "single.softmax", "-q", .. Common]);
        double single = Metrics(dir["single.json"]).GetProperty("objective").GetDouble();

        // Fashion-MNIST split into two shard files, one per rank.
        string shards = string.Join(',', Path.Combine(fixture.Dir.Path, "shard0.smxp"), Path.Combine(fixture.Dir.Path, "shard1.smxp"));
        string run = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(run);
        var job = Mpi(run, 2, ["train", "--distributed", "--data", shards, "--threads", "1", "--collective-timeout", "60",
            "--metrics-json", "m.json", "--model", "two.softmax", .. Common], TimeSpan.FromMinutes(3));
        Assert.True(job.ExitCode == 0, $"exit {job.ExitCode}\n{job.Stdout}\n{job.Stderr}");
        var m = Metrics(Path.Combine(run, "m.json"));
        Assert.Equal(2, m.GetProperty("ranks").GetInt32());
        Assert.Equal(60000, m.GetProperty("n_train").GetInt32());
        double two = m.GetProperty("objective").GetDouble();
        Assert.True(Relative(single, two) <= 1e-9, $"single {single:R}, two ranks {two:R}: relative {Relative(single, two):E2}");
        Assert.Contains("distributed over 2 ranks", job.Stdout);
        // Rank 0 alone wrote: one model, one metrics file, one summary.
        Assert.Equal("m.json two.softmax", string.Join(" ", Directory.GetFiles(run).Select(Path.GetFileName).Order()));
        Assert.Single(job.Stdout.Split('\n'), l => l.StartsWith("objective F:", StringComparison.Ordinal));

        // One file split by rows between the ranks gives the same F.
        var rows = Mpi(run, 2, ["train", "--distributed", "--data", whole, "--threads", "1", "--collective-timeout", "60",
            "--metrics-json", "rows.json", "--model", "rows.softmax", "-q", .. Common], TimeSpan.FromMinutes(3));
        Assert.True(rows.ExitCode == 0, $"exit {rows.ExitCode}\n{rows.Stdout}\n{rows.Stderr}");
        Assert.True(Relative(single, Metrics(Path.Combine(run, "rows.json")).GetProperty("objective").GetDouble()) <= 1e-9);
    }

    /// <summary>
    /// <c>--validation-fraction</c> with <c>--distributed</c>: every rank makes the in-memory stratified split of the one
    /// file, scores the same held-out rows and streams its half of the training rows. Digits is small, so auto precision
    /// runs float64 and the two ranks reach the in-memory run's F to 1e-9 relative (not bit for bit: the sums are
    /// added by rank).
    /// </summary>
    [SkippableFact]
    public void Two_ranks_with_a_validation_fraction_reach_the_in_memory_F_on_the_same_split()
    {
        fixture.Require();
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "data", "pack", "digits", "digits.smxp", "-q");
        string[] args = ["--data", "digits.smxp", "--validation-fraction", "0.2", "--patience", "3", "--seed", "3", "--l2", "1e-3", "--threads", "1", "-q"];
        Cli.Ok(dir.Path, ["train", .. args, "--metrics-json", "memory.json", "--model", "memory.softmax"]);
        var job = Mpi(dir.Path, 2, ["train", "--distributed", "--collective-timeout", "60", .. args, "--metrics-json", "two.json", "--model", "two.softmax"], TimeSpan.FromMinutes(3));
        Assert.True(job.ExitCode == 0, $"exit {job.ExitCode}\n{job.Stdout}\n{job.Stderr}");
        JsonElement memory = Metrics(dir["memory.json"]), two = Metrics(dir["two.json"]);
        Assert.Equal(memory.GetProperty("n_train").GetInt32(), two.GetProperty("n_train").GetInt32());
        Assert.True(two.GetProperty("n_train").GetInt32() < 1797);
        double fm = memory.GetProperty("objective").GetDouble(), f2 = two.GetProperty("objective").GetDouble();
        Assert.True(Relative(fm, f2) <= 1e-9, $"in memory {fm:R}, two ranks {f2:R}: relative {Relative(fm, f2):E2}");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.train-*", SearchOption.AllDirectories));   // the ranks' training copies are removed
    }

    [SkippableFact]
    public void A_rank_killed_mid_training_ends_the_job_with_an_error_and_no_model()
    {
        fixture.Require();
        using var dir = new TempDir();
        string whole = Path.Combine(fixture.Dir.Path, "whole.smxp");
        string model = dir["killed.softmax"];
        int killed = 0;
        var job = Mpi(dir.Path, 2, ["train", "--distributed", "--data", whole, "--threads", "1", "--collective-timeout", "20",
            "--metrics-json", "m.json", "--model", model, "--l2", "1e-3", "--max-iter", "1000", "--tol", "0"], TimeSpan.FromMinutes(2), line =>
        {
            // Rank 0's first progress line: training has begun on both ranks (each iteration is an allreduce).
            if (!line.StartsWith("training ", StringComparison.Ordinal) || Interlocked.CompareExchange(ref killed, -1, 0) != 0) return;
            try
            {
                int pid = RankPid(model, rank: 1);
                Process.GetProcessById(pid).Kill();
                killed = pid;
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException) { }   // asserted below
        });
        Assert.True(killed > 0, $"rank 1 was not found to kill\n{job.Stdout}\n{job.Stderr}");
        Assert.NotEqual(0, job.ExitCode);
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(60), $"the job took {job.Elapsed.TotalSeconds:F0} s to end");
        Assert.Contains("TERMINATION", job.Stdout + job.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(model), "a model was written");
        Assert.False(File.Exists(dir["m.json"]), "metrics were written");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    /// <summary>Every descendant of <paramref name="pid"/>, parents before children.</summary>
    private static List<int> Descendants(int pid)
    {
        var found = new List<int>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    int id = int.Parse(child, CultureInfo.InvariantCulture);
                    found.Add(id);
                    found.AddRange(Descendants(id));
                }
            }
            catch (IOException) { }   // a thread or child that ended meanwhile
        }
        return found;
    }

    /// <summary>The process of <paramref name="rank"/> in the job writing <paramref name="model"/>, from /proc (PMI_RANK).</summary>
    private static int RankPid(string model, int rank)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            foreach (var proc in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(proc), out int pid)) continue;
                try
                {
                    string cmd = File.ReadAllText(Path.Combine(proc, "cmdline"));
                    if (!cmd.Contains(Cli.Dll, StringComparison.Ordinal) || !cmd.Contains(model, StringComparison.Ordinal)) continue;
                    if (File.ReadAllText(Path.Combine(proc, "environ")).Split('\0').Contains($"PMI_RANK={rank}")) return pid;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            Thread.Sleep(50);
        }
        throw new InvalidOperationException($"No process of rank {rank} found for {model}.");
    }

    /// <summary>
    /// <c>--checkpoint-every</c> and <c>--resume</c> with <c>--distributed</c> (2 ranks, digits split by rows, 20 % held
    /// out for early stopping): the whole job (mpiexec, its proxies and both ranks) killed after rank 0 wrote a
    /// checkpoint and resumed ends with the uninterrupted job's model, bit for bit.
    /// </summary>
    [SkippableTheory]
    [InlineData("sgd")]
    [InlineData("lbfgs")]
    public void Two_ranks_killed_after_a_checkpoint_and_resumed_match_the_uninterrupted_job_bit_for_bit(string solver)
    {
        fixture.Require();
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "data", "pack", "digits", "digits.smxp", "-q");
        string[] common = ["train", "--distributed", "--data", "digits.smxp", "--collective-timeout", "60", "--validation-fraction", "0.2", "--threads", "1", "-q",
            .. solver == "sgd"
                ? new[] { "--solver", "sgd", "--epochs", "60", "--lr", "0.05", "--momentum", "0.9", "--patience", "4", "--min-delta", "0.05", "--seed", "1" }
                : ["--solver", "lbfgs", "--max-iter", "60", "--patience", "3", "--l2", "1e-3", "--seed", "7"]];
        string every = solver == "sgd" ? "3" : "5", checkpoint = dir["run.ckpt"];
        var full = Mpi(dir.Path, 2, [.. common, "--model", "full.softmax"], TimeSpan.FromMinutes(3));
        Assert.True(full.ExitCode == 0, $"exit {full.ExitCode}\n{full.Stdout}\n{full.Stderr}");

        var killed = Mpi(dir.Path, 2, [.. common, "--model", "resumed.softmax", "--checkpoint-every", every, "--checkpoint", checkpoint, "--debug-epoch-delay-ms", "100"],
            TimeSpan.FromMinutes(3), whileRunning: p =>
            {
                var clock = Stopwatch.StartNew();
                while (!File.Exists(checkpoint) && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(90)) Thread.Sleep(20);
                Thread.Sleep(150);   // past the checkpoint, so the resumed job really redoes work
                if (p.HasExited) return;   // asserted below
                // SIGKILL to the ranks, their proxy and mpiexec at once, found from /proc/PID/task/*/children (no scan of
                // every process, in which the ranks could finish): no cleanup, nothing more written.
                var tree = Enumerable.Reverse(Descendants(p.Id)).Append(p.Id).Select(id => id.ToString(CultureInfo.InvariantCulture)).ToArray();
                using var kill = Process.Start("kill", ["-KILL", .. tree]);
                kill.WaitForExit();
            });
        Assert.True(killed.ExitCode != 0, $"the job finished before it could be killed:\n{killed.Stdout}\n{killed.Stderr}");
        Assert.True(File.Exists(checkpoint), "no checkpoint appeared");
        Assert.False(File.Exists(dir["resumed.softmax"]), "the killed job wrote a model");
        var resumed = Mpi(dir.Path, 2, [.. common.Where(a => a != "-q"), "--model", "resumed.softmax", "--resume", checkpoint, "--checkpoint-every", every, "--checkpoint", checkpoint], TimeSpan.FromMinutes(3));
        Assert.True(resumed.ExitCode == 0, $"exit {resumed.ExitCode}\n{resumed.Stdout}\n{resumed.Stderr}");
        Assert.Matches(@"resuming from .*run\.ckpt at iteration [1-9]", resumed.Stdout);   // it continued, rather than trained afresh
        Assert.DoesNotContain("training 1/", resumed.Stdout, StringComparison.Ordinal);
        var (a, b) = (Softmax.IO.ModelFile.Load(dir["full.softmax"]), Softmax.IO.ModelFile.Load(dir["resumed.softmax"])).AssertSame();
        if (solver == "sgd") Assert.Equal("EarlyStopping", a.Training.StopReason);

        // The checkpoint of a 2-rank job continues only on 2 ranks (the shards decide the sums): one rank is refused.
        var one = Mpi(dir.Path, 1, [.. common, "--model", "one.softmax", "--resume", checkpoint], TimeSpan.FromMinutes(2));
        Assert.True(one.ExitCode == 2, $"exit {one.ExitCode}\n{one.Stdout}\n{one.Stderr}");
        Assert.Contains("ranks=2, but this run has ranks=1", one.Stderr);
        Assert.False(File.Exists(dir["one.softmax"]));
    }
}

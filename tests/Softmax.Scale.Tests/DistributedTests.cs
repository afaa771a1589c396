using System.Diagnostics;
using System.Globalization;
using Softmax.IO;
using Xunit.Abstractions;

namespace Softmax.Scale.Tests;

/// <summary>
/// Acceptance of `mpiexec -n 2 softmax train --distributed` on one machine, through the real tool. Skipped, with
/// the reason, where MPICH or Fashion-MNIST is missing.
/// </summary>
[Collection(MpiCollection.Name)]
public sealed class DistributedTests(MpiFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] Common = ["--l2", "1e-3", "--max-iter", "40"];

    [SkippableFact]
    public void Two_ranks_on_two_row_shards_reach_the_single_process_F_with_identical_weights_on_every_rank()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var dir = new TempDir("two-ranks");
        var single = TestData.Softmax(TestData.Train(dir.Path, "single", ["--data", fixture.Whole, "--threads", "2", .. Common]));
        Assert.True(single.ExitCode == 0, single.ToString());
        double f1 = TestData.Objective(TestData.Metrics(dir.Path, "single"));

        string model = dir["two.softmax"];
        var run = ChildProcess.Run(fixture.Mpiexec!, TestData.Mpi(2, TestData.Train(dir.Path, "two", ["--data", fixture.Whole, "--distributed", "--threads", "1",
            "--collective-timeout", "60", .. Common])));
        Assert.True(run.ExitCode == 0, run.ToString());
        var line = TestData.Metrics(dir.Path, "two");
        Assert.Equal(2, line.GetProperty("ranks").GetInt32());
        Assert.Equal(30000, line.GetProperty("shard_rows").GetInt32());
        var hashes = TestData.Hashes(line);
        Assert.Equal(2, hashes.Length);
        Assert.Equal(hashes[0], hashes[1]);
        double f2 = TestData.Objective(line);
        output.WriteLine($"single {f1:R} ({single.Elapsed.TotalSeconds:F1} s), 2 ranks {f2:R} ({run.Elapsed.TotalSeconds:F1} s), " +
                         $"hashes {string.Join(", ", hashes)}");
        Assert.True(TestData.RelativeDifference(f1, f2) <= 1e-9, $"single {f1:R}, two ranks {f2:R}");
        var saved = ModelFile.Load(model);
        Assert.Equal(10, saved.Classes);
        Assert.Equal(f2, saved.Training.Objective);
    }

    [SkippableFact]
    public void Two_ranks_on_a_list_of_two_shard_files_reach_the_single_process_F()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var dir = new TempDir("shard-list");
        var single = TestData.Softmax(TestData.Train(dir.Path, "single", ["--data", fixture.Whole, "--threads", "2", .. Common]));
        Assert.True(single.ExitCode == 0, single.ToString());
        var run = ChildProcess.Run(fixture.Mpiexec!, TestData.Mpi(2, TestData.Train(dir.Path, "two", ["--data", string.Join(',', fixture.Shards), "--distributed",
            "--threads", "1", "--collective-timeout", "60", .. Common])));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(TestData.RelativeDifference(TestData.Objective(TestData.Metrics(dir.Path, "single")), TestData.Objective(TestData.Metrics(dir.Path, "two"))) <= 1e-9);
    }

    [SkippableFact]
    public void A_rank_killed_mid_training_ends_the_job_with_an_error_and_no_model()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (run, model) = Fail("kill", pid => Process.GetProcessById(pid).Kill());
        output.WriteLine($"exit {run.ExitCode} after {run.Elapsed.TotalSeconds:F1} s\n{run.Stderr}\n{run.Stdout}");
        Assert.NotEqual(0, run.ExitCode);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Contains("TERMINATION", run.Stdout + run.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(model));
    }

    [SkippableFact]
    public void A_hung_rank_is_caught_by_the_collective_watchdog_within_its_timeout()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        int stopped = 0;
        var (run, model) = Fail("hang", pid => { stopped = pid; Signal("STOP", pid); });
        output.WriteLine($"exit {run.ExitCode} after {run.Elapsed.TotalSeconds:F1} s\n{run.Stderr}");
        try
        {
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("did not complete within 5 s", run.Stderr);
            Assert.True(run.Elapsed < TimeSpan.FromSeconds(60));
            Assert.False(File.Exists(model));
        }
        finally
        {
            try { Process.GetProcessById(stopped).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }

    /// <summary>Starts a 2-rank run, waits until rank 1 has finished an iteration, then acts on rank 1's process.</summary>
    private (ProcessResult Run, string Model) Fail(string name, Action<int> act)
    {
        string dir = Path.Combine(fixture.Directory, name);
        Directory.CreateDirectory(dir);
        string model = Path.Combine(dir, "model.softmax");
        var args = TestData.Mpi(2, ["train", "--data", fixture.Whole, "--distributed", "--threads", "1", "--model", model, "--quiet",
            "--debug-pid-dir", dir, "--collective-timeout", "5", "--l2", "1e-3", "--max-iter", "400"]);
        var run = ChildProcess.Run(new ChildProcess.Start(fixture.Mpiexec!, args)
        {
            Timeout = TimeSpan.FromSeconds(90),
            WhileRunning = _ =>
            {
                string pidFile = Path.Combine(dir, "rank-1.pid");
                var clock = Stopwatch.StartNew();
                while (!File.Exists(pidFile) && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(50);
                Thread.Sleep(300);
                act(int.Parse(File.ReadAllText(pidFile), CultureInfo.InvariantCulture));
            },
        });
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));   // AtomicFile temporaries (.NAME.PID.GUID.tmp.EXT)
        return (run, model);
    }

    private static void Signal(string signal, int pid)
    {
        using var p = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        p.WaitForExit();
    }
}

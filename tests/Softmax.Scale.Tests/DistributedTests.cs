using System.Diagnostics;
using System.Globalization;
using Softmax.IO;
using Xunit.Abstractions;

namespace Softmax.Scale.Tests;

/// <summary>
/// Acceptance of `mpiexec -n 2 softmax train --distributed` on one machine, through the stand-in host. Skipped, with
/// the reason, where MPICH or Fashion-MNIST is missing.
/// </summary>
[Collection(MpiCollection.Name)]
public sealed class DistributedTests(MpiFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] Common = ["--l2", "1e-3", "--max-iter", "40"];

    private static string[] Mpi(int ranks, string[] args) => ["-n", ranks.ToString(CultureInfo.InvariantCulture), "dotnet", TestData.Host, .. args];

    [SkippableFact]
    public void Two_ranks_on_two_row_shards_reach_the_single_process_F_with_identical_weights_on_every_rank()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var single = TestData.Dotnet(["train", fixture.Whole, "--threads", "2", .. Common]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        double f1 = Objective(single.Lines.Single());

        string model = Path.Combine(fixture.Directory, "two-ranks.model");
        var run = TestData.Start(fixture.Mpiexec!, Mpi(2, ["train", fixture.Whole, "--distributed", "--threads", "1", "--model", model,
            "--collective-timeout", "60", .. Common]));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var line = run.Lines.Single();
        Assert.Equal(2, line.GetProperty("ranks").GetInt32());
        Assert.Equal(30000, line.GetProperty("shard_rows").GetInt32());
        var hashes = line.GetProperty("rank_theta_hashes").EnumerateArray().Select(h => h.GetString()).ToArray();
        Assert.Equal(2, hashes.Length);
        Assert.Equal(hashes[0], hashes[1]);
        double f2 = Objective(line);
        output.WriteLine($"single {f1:R} ({single.Elapsed.TotalSeconds:F1} s), 2 ranks {f2:R} ({run.Elapsed.TotalSeconds:F1} s), " +
                         $"hashes {single.Lines.Single().GetProperty("theta_hash")} / {string.Join(", ", hashes)}");
        Assert.True(TestData.RelativeDifference(f1, f2) <= 1e-9, $"single {f1:R}, two ranks {f2:R}");
        var saved = ModelFile.Load(model);
        Assert.Equal(10, saved.Classes);
        Assert.Equal(f2, saved.Training.Objective);
    }

    [SkippableFact]
    public void Two_ranks_on_a_list_of_two_shard_files_reach_the_single_process_F()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var single = TestData.Dotnet(["train", fixture.Whole, "--threads", "2", .. Common]);
        var run = TestData.Start(fixture.Mpiexec!, Mpi(2, ["train", .. fixture.Shards, "--distributed", "--threads", "1", "--collective-timeout", "60", .. Common]));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(TestData.RelativeDifference(Objective(single.Lines.Single()), Objective(run.Lines.Single())) <= 1e-9);
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
    private (TestData.Run Run, string Model) Fail(string name, Action<int> act)
    {
        string dir = Path.Combine(fixture.Directory, name);
        Directory.CreateDirectory(dir);
        string model = Path.Combine(dir, "model.bin");
        var run = TestData.Start(fixture.Mpiexec!, Mpi(2, ["train", fixture.Whole, "--distributed", "--threads", "1", "--model", model,
            "--pid-dir", dir, "--collective-timeout", "5", "--l2", "1e-3", "--max-iter", "400"]), timeout: TimeSpan.FromSeconds(90),
            whileRunning: _ =>
            {
                string pidFile = Path.Combine(dir, "rank-1.pid");
                var clock = Stopwatch.StartNew();
                while (!File.Exists(pidFile) && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(50);
                Thread.Sleep(300);
                act(int.Parse(File.ReadAllText(pidFile), CultureInfo.InvariantCulture));
            });
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        return (run, model);
    }

    private static void Signal(string signal, int pid)
    {
        using var p = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        p.WaitForExit();
    }

    private static double Objective(System.Text.Json.JsonElement line) =>
        double.Parse(line.GetProperty("objective").GetString()!, CultureInfo.InvariantCulture);
}

using System.Diagnostics;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Cli.Tests;

/// <summary>A run killed with SIGKILL after a checkpoint and resumed ends bit-identical to an uninterrupted run.</summary>
public class ResumeTests
{
    /// <summary>Starts <paramref name="args"/>, waits for <paramref name="checkpoint"/>, lets the run go on a little and kills it (SIGKILL).</summary>
    internal static void KillAfterCheckpoint(string dir, string[] args, string checkpoint, IReadOnlyDictionary<string, string>? env = null)
    {
        using var p = Cli.Prepare(dir, env, args);
        p.Start();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(checkpoint) && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(20);
        Thread.Sleep(150);   // let it run past the checkpoint, so the resumed run really redoes work
        if (p.HasExited) Assert.Fail($"the run finished before it could be killed:\n{p.StandardOutput.ReadToEnd()}\n{p.StandardError.ReadToEnd()}");
        p.Kill();   // SIGKILL: no cleanup, no chance to write anything more
        p.WaitForExit();
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(File.Exists(checkpoint), "no checkpoint appeared");
        Assert.False(File.Exists(Path.Combine(dir, "resumed.softmax")), $"the killed run must not have written its model (exit {p.ExitCode}, {clock.Elapsed}):\n{output}");
    }

    [Theory]
    [InlineData("sgd", "--epochs", "24", "3")]
    [InlineData("lbfgs", "--max-iter", "60", "5")]
    public void Killed_and_resumed_run_matches_an_uninterrupted_one_bit_for_bit(string solver, string limitFlag, string limit, string every)
    {
        // The mini-batch flags only for sgd: L-BFGS rejects flags it does not read.
        string[] common = ["train", "--solver", solver, limitFlag, limit, "--threads", "2", "--seed", "7", "--l2", "1e-3", "-q",
            .. solver == "sgd" ? new[] { "--momentum", "0.9", "--lr", "0.001" } : []];
        KillResumeAndCompare(common, every);
    }

    /// <summary>
    /// Issue 14's bug: early stopping's state (best validation score, epochs since) must survive a checkpoint, or the
    /// resumed run stops at another epoch with another model. The issue's own flags, with a --min-delta that makes
    /// early stopping fire (at epoch 25) under today's digits defaults; checkpoints every 3 epochs.
    /// </summary>
    [Fact]
    public void Resume_with_validation_and_patience_stops_where_the_uninterrupted_run_stops()
    {
        string[] common = ["train", "--solver", "sgd", "--epochs", "60", "--lr", "0.05", "--momentum", "0.9", "--validation-fraction", "0.2",
            "--patience", "4", "--min-delta", "0.05", "--seed", "1", "--threads", "1", "-q"];
        var (full, _) = KillResumeAndCompare(common, "3");
        Assert.Equal("EarlyStopping", full.Training.StopReason);
        Assert.InRange(full.Training.Epochs!.Value, 4, 59);
    }

    private static (SoftmaxModel Full, SoftmaxModel Resumed) KillResumeAndCompare(string[] common, string every, IReadOnlyDictionary<string, string>? env = null)
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, env, [.. common, "--model", "full.softmax"]);
        string checkpoint = dir["run.ckpt"];
        KillAfterCheckpoint(dir.Path, [.. common, "--model", "resumed.softmax", "--checkpoint-every", every, "--checkpoint", checkpoint,
            "--debug-epoch-delay-ms", "60"], checkpoint, env);
        // Not quiet, to see that the run did continue from the checkpoint rather than train afresh to the same model.
        var resumed = Cli.Ok(dir.Path, env, [.. common.Where(a => a != "-q"), "--model", "resumed.softmax", "--resume", checkpoint, "--checkpoint-every", every, "--checkpoint", checkpoint]);
        Assert.Matches(@"resuming from .*run\.ckpt at iteration [1-9]", resumed.Stdout);
        Assert.DoesNotContain("training 1/", resumed.Stdout, StringComparison.Ordinal);   // its first step is after the checkpoint's
        return (ModelFile.Load(dir["full.softmax"]), ModelFile.Load(dir["resumed.softmax"])).AssertSame();
    }

    [Fact]
    public void Resume_with_different_settings_is_refused()
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, "train", "--solver", "sgd", "--epochs", "2", "--checkpoint-every", "1", "--lr", "0.001", "-q");
        var r = Cli.Run(dir.Path, ["train", "--solver", "sgd", "--epochs", "2", "--lr", "0.01", "--resume", "model.softmax.ckpt"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("lr", r.Stderr);
    }

    /// <summary>
    /// The same with <c>--stream</c>: the training rows (digits less its held-out 20 %) are streamed from a packed copy
    /// and the held-out rows scored in memory; the resumed run stops where the uninterrupted one stops, with its model.
    /// </summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("lbfgs")]
    public void Streamed_run_killed_and_resumed_matches_an_uninterrupted_one_bit_for_bit(string solver)
    {
        using var cache = new TempDir();
        var env = new Dictionary<string, string> { ["SOFTMAX_CACHE"] = cache.Path };
        string[] common = solver == "sgd"
            ? ["train", "--stream", "--solver", "sgd", "--epochs", "60", "--lr", "0.05", "--momentum", "0.9", "--validation-fraction", "0.2",
               "--patience", "4", "--min-delta", "0.05", "--seed", "1", "--threads", "1", "-q"]
            : ["train", "--stream", "--solver", "lbfgs", "--max-iter", "60", "--validation-fraction", "0.2", "--patience", "3",
               "--l2", "1e-3", "--seed", "7", "--threads", "2", "-q"];
        var (full, _) = KillResumeAndCompare(common, solver == "sgd" ? "3" : "5", env);
        if (solver == "sgd") Assert.Equal("EarlyStopping", full.Training.StopReason);
    }

    /// <summary>A streamed checkpoint is refused by a run with other settings, and by an in-memory run (other arithmetic).</summary>
    [Fact]
    public void Streamed_resume_with_different_settings_or_in_memory_is_refused()
    {
        using var dir = new TempDir();
        var env = new Dictionary<string, string> { ["SOFTMAX_CACHE"] = dir["cache"] };
        string[] common = ["train", "--solver", "sgd", "--epochs", "2", "--validation-fraction", "0.2", "-q"];
        Cli.Ok(dir.Path, env, [.. common, "--stream", "--lr", "0.001", "--checkpoint-every", "1"]);
        Assert.True(File.Exists(dir["model.softmax.ckpt"]));
        var lr = Cli.Run(dir.Path, [.. common, "--stream", "--lr", "0.01", "--resume", "model.softmax.ckpt"], env: env);
        Assert.Equal(2, lr.ExitCode);
        Assert.Contains("lr=0.001, but this run has lr=0.01", lr.Stderr);
        var memory = Cli.Run(dir.Path, [.. common, "--lr", "0.001", "--resume", "model.softmax.ckpt"], env: env);
        Assert.Equal(2, memory.ExitCode);
        Assert.Contains("view=stream, but this run has view=memory", memory.Stderr);
        Assert.Single(memory.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>Bit-for-bit comparison of two trained models.</summary>
internal static class SameModel
{
    /// <summary>Asserts θ bit for bit, the iterations and F are equal; returns the pair.</summary>
    public static (SoftmaxModel Full, SoftmaxModel Resumed) AssertSame(this (SoftmaxModel Full, SoftmaxModel Resumed) pair)
    {
        var (full, resumed) = pair;
        var a = full.Parameters;
        var b = resumed.Parameters;
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(a[i]) == BitConverter.DoubleToInt64Bits(b[i]), $"θ[{i}]: {a[i]:R} vs {b[i]:R}");
        Assert.Equal(full.Training.Iterations, resumed.Training.Iterations);
        Assert.Equal(full.Training.Objective, resumed.Training.Objective);
        return pair;
    }
}

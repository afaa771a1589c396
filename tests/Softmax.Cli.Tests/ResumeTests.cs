using System.Diagnostics;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Cli.Tests;

/// <summary>A run killed with SIGKILL after a checkpoint and resumed ends bit-identical to an uninterrupted run.</summary>
public class ResumeTests
{
    private static void KillAfterCheckpoint(string dir, string[] args, string checkpoint)
    {
        using var p = Cli.Prepare(dir, args);
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
        Assert.InRange(full.Training.Epochs, 4, 59);
    }

    private static (SoftmaxModel Full, SoftmaxModel Resumed) KillResumeAndCompare(string[] common, string every)
    {
        using var dir = new TempDir();
        Cli.Ok(dir.Path, [.. common, "--model", "full.softmax"]);
        string checkpoint = dir["run.ckpt"];
        KillAfterCheckpoint(dir.Path, [.. common, "--model", "resumed.softmax", "--checkpoint-every", every, "--checkpoint", checkpoint,
            "--debug-epoch-delay-ms", "60"], checkpoint);
        Cli.Ok(dir.Path, [.. common, "--model", "resumed.softmax", "--resume", checkpoint, "--checkpoint-every", every, "--checkpoint", checkpoint]);
        var full = ModelFile.Load(dir["full.softmax"]);
        var resumed = ModelFile.Load(dir["resumed.softmax"]);
        var a = full.Parameters;
        var b = resumed.Parameters;
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(a[i]) == BitConverter.DoubleToInt64Bits(b[i]), $"θ[{i}]: {a[i]:R} vs {b[i]:R}");
        Assert.Equal(full.Training.Iterations, resumed.Training.Iterations);
        Assert.Equal(full.Training.Objective, resumed.Training.Objective);
        return (full, resumed);
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
}

using System.IO.Hashing;
using System.Text;
using Softmax.Cli.Infrastructure;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Cli.Tests;

/// <summary>
/// Checkpoint format 2: every solver's named state, its early-stopping state and history survive a save and load bit
/// for bit, and a run resumed from the loaded file ends where the uninterrupted run ends; an old, unknown, truncated
/// or corrupted file is refused in one line naming the file.
/// </summary>
public class CheckpointFormatTests
{
    private static readonly Dataset Train, Validation;

    static CheckpointFormatTests()
    {
        var digits = NamedDatasets.Load("digits");
        (Train, Validation) = (digits.Train, digits.Test);
    }

    private static SoftmaxObjective Objective() => new(new CpuSoftmaxLoss(Train, new CpuEngineOptions(1)), 1e-3);

    /// <summary>The validation loss of θ, computed independently of the solver (a fresh float32 objective with λ = 0).</summary>
    private static ValidationScore Score(double[] theta)
    {
        double loss = new SoftmaxObjective(new CpuSoftmaxLoss(Validation, new CpuEngineOptions(1)), 0).Value(theta);
        return new ValidationScore(Math.Exp(-loss), loss);
    }

    private static ISolver Make(string name) => name switch
    {
        "lbfgs" => new LbfgsSolver(new LbfgsOptions { History = 4, MaxIterations = 14 }, FeatureMoments.Compute(Train.Features)),
        "sgd-momentum" => new MiniBatchSolver(new SgdRule(0.9), new MiniBatchOptions { LearningRate = 0.001, BatchSize = 100, Epochs = 8, Seed = 5 }),
        "sgd-nesterov" => new MiniBatchSolver(new SgdRule(0.9, nesterov: true), new MiniBatchOptions { LearningRate = 0.001, BatchSize = 100, Epochs = 8, Seed = 5 }),
        _ => new MiniBatchSolver(new AdamRule(), new MiniBatchOptions { LearningRate = 0.01, BatchSize = 100, Epochs = 8, Seed = 5 }),
    };

    public static TheoryData<string> Solvers() => new() { "lbfgs", "sgd-momentum", "sgd-nesterov", "adam" };

    /// <summary>Validation on and patience long enough not to fire, so the early-stopping state is real but the run goes on.</summary>
    private static SolverContext Context(Action<SolverState>? checkpoint = null, SolverState? resume = null) =>
        new() { Validate = Score, Patience = 1000, Checkpoint = checkpoint, ResumeFrom = resume };

    [Theory]
    [MemberData(nameof(Solvers))]
    public void A_saved_state_loads_bit_for_bit_with_its_names_and_resumes_to_the_same_weights(string name)
    {
        using var dir = new TempDir();
        var states = new List<SolverState>();
        var full = Make(name).Minimize(Objective(), new double[Objective().Dimension], Context(states.Add));
        var saved = states[states.Count / 2];
        var settings = new Dictionary<string, string> { ["solver"] = name, ["seed"] = "5" };
        CurvePoint[] curve = [new(1, 0.5, double.NaN), new(2, 0.75, 0.25)];
        CheckpointFile.Save(dir["run.ckpt"], settings, saved, curve);
        var (loadedSettings, loaded, loadedCurve) = CheckpointFile.Load(dir["run.ckpt"]);

        Assert.Equal(settings, loadedSettings);
        Assert.Equal(curve, loadedCurve);
        Assert.Equal((saved.Solver, saved.Iteration, saved.Epoch, saved.Evaluations), (loaded.Solver, loaded.Iteration, loaded.Epoch, loaded.Evaluations));
        Assert.Equal(saved.Vectors.Keys.Order(StringComparer.Ordinal), loaded.Vectors.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, values) in saved.Vectors) AssertBits(values, loaded.Vectors[key]);
        Assert.Equal(saved.Scalars.Keys.Order(StringComparer.Ordinal), loaded.Scalars.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in saved.Scalars) AssertBits([value], [loaded.Scalars[key]]);
        Assert.Equal(saved.History, loaded.History);
        Assert.Equal(saved.History.Select(h => h.Evaluations), loaded.History.Select(h => h.Evaluations));
        var (es, les) = (saved.EarlyStopping!, loaded.EarlyStopping!);
        Assert.NotNull(es.Best);
        AssertBits(es.Best, les.Best!);
        Assert.Equal((es.BestAccuracy, es.BestLoss, es.SinceBest), (les.BestAccuracy, les.BestLoss, les.SinceBest));

        if (name == "lbfgs")
        {
            Assert.Equal(0, loaded.Epoch);
            Assert.True(loaded.Evaluations > loaded.Iteration);
            Assert.Contains("s3", loaded.Vectors.Keys);
            Assert.Contains("f", loaded.Scalars.Keys);
        }
        else Assert.Contains(name == "adam" ? "second_moment" : "velocity", loaded.Vectors.Keys);

        var resumed = Make(name).Minimize(Objective(), new double[Objective().Dimension], Context(resume: loaded));
        AssertBits(full.Theta, resumed.Theta);
        Assert.Equal((full.Iterations, full.Epochs, full.Evaluations), (resumed.Iterations, resumed.Epochs, resumed.Evaluations));
        Assert.Equal(full.History.Select(h => h.ValidationLoss), resumed.History.Select(h => h.ValidationLoss));
    }

    private static void AssertBits(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"[{i}]: {expected[i]:R} vs {actual[i]:R}");
    }

    /// <summary>A sealed checkpoint-like file: magic, <paramref name="version"/>, <paramref name="body"/>, then a valid checksum.</summary>
    private static byte[] Sealed(int version, byte[] body)
    {
        var bytes = "SMXCKPT\0"u8.ToArray().Concat(BitConverter.GetBytes(version)).Concat(body).ToArray();
        return bytes.Concat(BitConverter.GetBytes(XxHash64.HashToUInt64(bytes))).ToArray();
    }

    private static string Refusal(string path) => Assert.Throws<DataFormatException>(() => CheckpointFile.Load(path)).Message;

    [Fact]
    public void A_version_1_file_is_refused_as_written_by_an_older_version()
    {
        using var dir = new TempDir();
        // Version 1's layout: no settings, solver "sgd", iteration 1, epoch 1, one buffer of two doubles, no scalars.
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(0); w.Write("sgd"); w.Write(1); w.Write(1);
            w.Write(1); w.Write(2); w.Write(0.5); w.Write(0.25);
            w.Write(0); w.Write(0); w.Write(0);
        }
        File.WriteAllBytes(dir["old.ckpt"], Sealed(1, body.ToArray()));
        string message = Refusal(dir["old.ckpt"]);
        Assert.StartsWith(dir["old.ckpt"] + ": ", message);
        Assert.Contains("written by an older version of softmax (checkpoint format 1; this version reads format 2", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void An_unknown_version_a_truncated_or_a_corrupted_file_is_refused_naming_the_file()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["future.ckpt"], Sealed(7, new byte[64]));
        Assert.Equal($"{dir["future.ckpt"]}: expected checkpoint format 2, found 7 (written by a newer or unknown version of softmax)", Refusal(dir["future.ckpt"]));

        var state = new SolverState("adam", 3, 1, 3, new Dictionary<string, double[]> { ["theta"] = [1, 2], ["first_moment"] = [0.1, 0.2], ["second_moment"] = [0.01, 0.04] },
            new Dictionary<string, double>(), [new HistoryEntry(3, 1, 0.5, double.NaN, 0.9, 0.3, 0.1) { Evaluations = 3 }], new EarlyStoppingState([1, 2], 0.9, 0) { BestLoss = 0.3 });
        CheckpointFile.Save(dir["good.ckpt"], new Dictionary<string, string>(), state, []);
        var good = File.ReadAllBytes(dir["good.ckpt"]);
        Assert.Equal(2, BitConverter.ToInt32(good, 8));

        File.WriteAllBytes(dir["short.ckpt"], good[..^20]);
        Assert.Equal($"{dir["short.ckpt"]}: the checkpoint's checksum does not match: the file is truncated or corrupted", Refusal(dir["short.ckpt"]));
        var flipped = (byte[])good.Clone();
        flipped[40] ^= 0x10;
        File.WriteAllBytes(dir["flipped.ckpt"], flipped);
        Assert.Contains("checksum does not match", Refusal(dir["flipped.ckpt"]));
        // Truncated inside the last record (the curve's count), the checksum made valid again: it says so, not garbage.
        File.WriteAllBytes(dir["cut.ckpt"], Sealed(2, good[12..^10]));
        Assert.Equal($"{dir["cut.ckpt"]}: the checkpoint ends early", Refusal(dir["cut.ckpt"]));
        // Extra bytes after the last record, resealed.
        File.WriteAllBytes(dir["long.ckpt"], Sealed(2, [.. good[12..^8], 0, 0, 0]));
        Assert.Equal($"{dir["long.ckpt"]}: the checkpoint has 3 bytes after its last record", Refusal(dir["long.ckpt"]));
    }

    [Fact]
    public void A_resume_refuses_early_stopping_weights_of_another_length_or_not_finite()
    {
        using var dir = new TempDir();
        string[] train = ["train", "--solver", "sgd", "--epochs", "2", "--lr", "0.001", "--validation-fraction", "0.2", "--checkpoint-every", "1", "--threads", "1", "-q"];
        Cli.Ok(dir.Path, train);
        string ckpt = dir["model.softmax.ckpt"];
        var (settings, state, curve) = CheckpointFile.Load(ckpt);
        var best = state.EarlyStopping!.Best!;
        Assert.Equal(state.Parameters.Length, best.Length);

        CheckpointFile.Save(ckpt, settings, state with { EarlyStopping = state.EarlyStopping with { Best = [.. best.SkipLast(1), double.NaN] } }, curve);
        var r = Cli.Run(dir.Path, [.. train, "--resume", ckpt]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{ckpt}: the checkpoint's vector 'early_stopping.best' holds values that are not finite.", r.Stderr);

        CheckpointFile.Save(ckpt, settings, state with { EarlyStopping = state.EarlyStopping with { Best = best[1..] } }, curve);
        r = Cli.Run(dir.Path, [.. train, "--resume", ckpt]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"early-stopping weights hold {best.Length - 1} parameters, but this data needs {best.Length}", r.Stderr);

        CheckpointFile.Save(ckpt, settings, state, curve);
        Cli.Ok(dir.Path, [.. train, "--resume", ckpt]);   // the untouched state resumes
    }
}

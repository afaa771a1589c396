using System.Globalization;
using System.Text.Json;
using Softmax.Distributed;
using Softmax.Engine;
using Softmax.IO;
using Softmax.Optimization;
using Softmax.Streaming;
using Xunit.Abstractions;

namespace Softmax.Scale.Tests;

/// <summary>
/// SGD and Adam under <c>--distributed</c>: synchronous mini-batches (one allreduce per step) and local SGD with
/// periodic model averaging (<c>--average-every K</c>), over <c>mpiexec.mpich -n 2</c> on Fashion-MNIST.
/// </summary>
[Collection(MpiCollection.Name)]
public sealed class DistributedMiniBatchTests(MpiFixture fixture, ITestOutputHelper output)
{
    // 60 000 rows, B = 256: 235 steps (allreduces) per epoch.
    private static readonly string[] Sgd = ["--solver", "sgd", "--epochs", "3", "--batch-size", "256", "--lr", "0.02", "--l2", "1e-3", "--threads", "1", "--seed", "7"];

    /// <summary>Runs <c>softmax train --distributed</c> on <paramref name="ranks"/> ranks; its metrics JSON (and model) land in a temporary folder.</summary>
    private JsonElement Train(int ranks, string[] args, string file, string? model = null)
    {
        using var dir = new TempDir("minibatch");
        var run = ChildProcess.Run(fixture.Mpiexec!, TestData.Mpi(ranks, TestData.Train(dir.Path, "run", ["--data", file, "--distributed", "--collective-timeout", "60", .. args], model)));
        Assert.True(run.ExitCode == 0, run.ToString());
        var line = TestData.Metrics(dir.Path, "run");
        output.WriteLine($"{ranks} rank(s) {string.Join(' ', args)}: F {line.GetProperty("objective")}, {line.GetProperty("solver")}, " +
                         $"solver {line.GetProperty("train_seconds").GetDouble():F3} s, allreduce {line.GetProperty("allreduce_calls")} calls " +
                         $"{string.Join("/", line.GetProperty("rank_allreduce_seconds").EnumerateArray().Select(s => s.GetDouble().ToString("F3", CultureInfo.InvariantCulture)))} s, " +
                         $"hashes {string.Join(", ", Hashes(line))} (wall {run.Elapsed.TotalSeconds:F1} s)");
        return line;
    }

    private static string[] Hashes(JsonElement line) => TestData.Hashes(line);

    /// <summary><paramref name="args"/> with the value of <paramref name="flag"/> replaced (each flag is given once).</summary>
    private static string[] With(string[] args, string flag, string value)
    {
        int at = Array.IndexOf(args, flag);
        return at < 0 ? [.. args, flag, value] : [.. args[..(at + 1)], value, .. args[(at + 2)..]];
    }

    private static double Objective(JsonElement line) => TestData.Objective(line);

    [SkippableTheory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Synchronous_minibatches_give_bit_identical_weights_on_both_ranks_and_match_the_single_process_reference(string solver)
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        string[] args = With(Sgd, "--solver", solver);
        if (solver == "adam") args = With(args, "--lr", "0.001");
        using var dir = new TempDir("sync-" + solver);
        {
            string m2 = dir["two.model"], m1 = dir["one.model"];
            var two = Train(2, args, fixture.Whole, m2);
            var hashes = Hashes(two);
            Assert.Equal(2, hashes.Length);
            Assert.Equal(hashes[0], hashes[1]);
            Assert.Equal("sync-" + solver, two.GetProperty("solver").GetString());
            // One allreduce per global step (3 epochs × ⌈60000/256⌉ = 705) and one for the final F.
            Assert.Equal(3 * 235 + 1, two.GetProperty("allreduce_calls").GetInt64());

            // The reference: one process, the same global batches, its rows held as the 2 ranks' slices whose sums are
            // added in rank order (what the 2-rank allreduce adds): bit-identical.
            var sliced = Train(1, [.. args, "--slices", "2"], fixture.Whole);
            Assert.Equal(hashes[0], Hashes(sliced).Single());
            Assert.Equal(Objective(two), Objective(sliced));

            // One process summing each batch in one pass: the same algorithm and batches, but the sums associate
            // differently, and the engine rounds θ to float32 each step, so a last-bit difference in θ sometimes flips a
            // float32 weight (1e-7 relative) and the runs drift apart by far more than 1e-12; bounded here at 1e-6.
            var one = Train(1, args, fixture.Whole, m1);
            double[] t1 = ModelFile.Load(m1).Parameters, t2 = ModelFile.Load(m2).Parameters;
            double scale = t1.Max(Math.Abs), diff = t1.Zip(t2, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"plain 1 rank vs 2 ranks: max |Δθ| / max |θ| = {diff / scale:G3}, ΔF/F = {TestData.RelativeDifference(Objective(one), Objective(two)):G3}");
            Assert.True(diff / scale <= 1e-6, $"θ differs by {diff / scale:G3} relative");
            Assert.True(TestData.RelativeDifference(Objective(one), Objective(two)) <= 1e-8);
        }
    }

    [SkippableFact]
    public void A_rank_with_no_rows_in_a_step_joins_the_allreduce_with_zero_sums()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        // Batch 1: every step's one row lies on one rank, so the other rank contributes empty sums at every step.
        using var dir = new TempDir("empty-share");
        {
            string file = dir["small.smxp"];
            PackedDataset.Pack(TestData.Bytes(301, 24, 4, seed: 5), file);
            string[] args = ["--solver", "sgd", "--epochs", "2", "--batch-size", "1", "--lr", "0.05", "--l2", "1e-3", "--threads", "1"];
            var two = Train(2, args, file);
            Assert.Equal(Hashes(two)[0], Hashes(two)[1]);
            Assert.Equal(2 * 301 + 1, two.GetProperty("allreduce_calls").GetInt64());
            Assert.Equal(Hashes(two)[0], Hashes(Train(1, [.. args, "--slices", "2"], file)).Single());
        }
    }

    [SkippableFact]
    public void Local_sgd_with_averaging_reaches_the_synchronous_F_and_ends_with_identical_weights()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var plain = Train(2, Sgd, fixture.Whole);
        var heavyBall = Train(2, [.. Sgd, "--momentum", "0.5"], fixture.Whole);
        foreach (var extra in new[] { new[] { "--average-every", "8" }, ["--average-every", "32"], ["--average-every", "8", "--momentum", "0.5"] })
        {
            // Compared with the synchronous run of the same update rule (momentum averaged with θ, not reset).
            var sync = extra.Contains("--momentum") ? heavyBall : plain;
            var local = Train(2, [.. Sgd, .. extra], fixture.Whole);
            var hashes = Hashes(local);
            Assert.Equal(hashes[0], hashes[1]);
            Assert.StartsWith("local-sgd", local.GetProperty("solver").GetString());
            double rel = TestData.RelativeDifference(Objective(sync), Objective(local));
            output.WriteLine($"  {string.Join(' ', extra)}: ΔF/F vs synchronous = {rel:G3}");
            Assert.True(rel <= 1e-2, $"local SGD F {Objective(local):R} vs synchronous {Objective(sync):R}");
            // Communication: one allreduce per average (every K steps and at each epoch's end) and one for the final F.
            long averages = long.Parse(local.GetProperty("hyperparameters").GetProperty("model_averages").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(averages + 1, local.GetProperty("allreduce_calls").GetInt64());
            Assert.True(averages < 3 * 235 / 4);
        }
    }

    [Fact]
    public void The_global_batch_order_is_reproducible_from_the_seed_and_split_between_the_ranks()
    {
        var options = new MiniBatchOptions { BatchSize = 64, Epochs = 1, Seed = 3 };
        var half = new SoftmaxObjective(new CpuSoftmaxLoss(TestData.Dense(TestData.Bytes(500, 4, 2, seed: 1), 1f / 255), new CpuEngineOptions(Threads: 1)), 0);
        // Each step's rows on the rank whose 500 rows start at global row offset, as global rows.
        int[][] Batches(int offset, int epoch)
        {
            var plan = new ShardBatchPlan(offset, totalRows: 1000);
            Assert.Equal(1000, plan.Begin(half, options, new SgdRule(0)));
            return plan.Epoch(epoch).Select(b => Enumerable.Range(0, b.Rows.Count).Select(i => b.Rows[i] + offset).ToArray()).ToArray();
        }
        int[][] a = Batches(0, 2), b = Batches(500, 2);
        Assert.Equal(16, a.Length);   // ⌈1000 / 64⌉ steps on every rank
        Assert.Equal(16, b.Length);
        var global = new int[1000];
        RowBatchPlan.Order(options, 2, global);
        for (int s = 0; s < 16; s++) Assert.Equal(global.Skip(64 * s).Take(64).Order(), a[s].Concat(b[s]).Order());
        Assert.Equal(a, Batches(0, 2));
        Assert.NotEqual(a, Batches(0, 1));
    }

    [Fact]
    public void Local_sgd_on_one_worker_without_an_allreduce_is_plain_sgd_over_its_rows()
    {
        // With one worker the averages are exact no-ops (θ·1/1), so local SGD equals SGD over the local order.
        var data = TestData.Dense(TestData.Bytes(300, 12, 3, seed: 2), 1f / 255);
        var objective = new SoftmaxObjective(new CpuSoftmaxLoss(data, new CpuEngineOptions(Threads: 1)), 1e-3);
        var options = new MiniBatchOptions { BatchSize = 32, Epochs = 2, Seed = 1, LearningRate = 0.1 };
        var k1 = new MiniBatchSolver(new SgdRule(0.5), options, new AveragingBatchPlan(0, 300, averageEvery: 1))
            .Minimize(objective, new double[objective.Dimension], new SolverContext());
        var k7 = new MiniBatchSolver(new SgdRule(0.5), options, new AveragingBatchPlan(0, 300, averageEvery: 7))
            .Minimize(objective, new double[objective.Dimension], new SolverContext());
        Assert.Equal(k1.Theta, k7.Theta);
        Assert.True(objective.Value(k1.Theta) < objective.Value(new double[objective.Dimension]));
    }
}

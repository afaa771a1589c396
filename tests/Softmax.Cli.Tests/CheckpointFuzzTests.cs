using System.IO.Hashing;
using CsCheck;
using Softmax.Cli.Infrastructure;
using Softmax.Data;
using Softmax.Optimization;

namespace Softmax.Cli.Tests;

/// <summary>Time-bounded fuzzing of the checkpoint loader: every mutated file, checksum resealed or not, loads or is a <see cref="DataFormatException"/>.</summary>
public class CheckpointFuzzTests
{
    private static readonly Gen<(int, int, byte, int)[]> Mutations =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 1 << 20], Gen.Byte, Gen.Int[0, 3]).Array[1, 6];

    private static byte[] Mutate(byte[] seed, (int Kind, int Where, byte Value, int Extra)[] mutations)
    {
        var list = seed.ToList();
        foreach (var (kind, where, value, extra) in mutations)
        {
            if (list.Count == 0) { list.Add(value); continue; }
            int at = where % list.Count;
            switch (kind)
            {
                case 0: list[at] = value; break;
                case 1: list[at] ^= (byte)(1 << (extra * 2 + 1)); break;
                case 2: list.RemoveRange(at, list.Count - at); break;
                case 3: list.Insert(at, value); break;
                case 4: list.RemoveAt(at); break;
                default: list[at] = 0xFF; break;
            }
        }
        return list.ToArray();
    }

    /// <summary>Inputs the fuzzer found (kept as the crash corpus): mutations of the seed file, resealed.</summary>
    public static TheoryData<string> Crashes => new()
    {
        "3,828814,239,2;3,530838,230,2;5,662130,139,1;1,739571,227,0;0,117590,142,0",   // a string length that is not a 7-bit int: FormatException
    };

    [Theory]
    [MemberData(nameof(Crashes))]
    public void Found_crashes_are_refused_naming_the_file(string mutations)
    {
        using var dir = new TempDir();
        var m = mutations.Split(';').Select(t => t.Split(',').Select(int.Parse).ToArray()).Select(v => (v[0], v[1], (byte)v[2], v[3])).ToArray();
        var bytes = Mutate(Seed(dir), m);
        BitConverter.GetBytes(XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8))).CopyTo(bytes, bytes.Length - 8);
        string path = dir["crash.ckpt"];
        File.WriteAllBytes(path, bytes);
        Assert.Contains(path, Assert.Throws<DataFormatException>(() => CheckpointFile.Load(path)).Message);
    }

    private static byte[] Seed(TempDir dir)
    {
        string seedPath = dir["seed.ckpt"];
        var state = new SolverState("sgd", 7, 3, 21, new Dictionary<string, double[]> { ["theta"] = [1, 2, 3, 4, 5, 6], ["velocity"] = [0.5, 0.25, 0, 0, 0, 0] },
            new Dictionary<string, double> { ["a"] = 0.1, ["b"] = 2 },
            [new HistoryEntry(1, 1, 0.9, 0.3, 0.5, null, 0.01), new HistoryEntry(2, 2, 0.8, 0.2, null, 0.7, 0.02)],
            new EarlyStoppingState([1, 2, 3, 4, 5, 7], 0.5, 1) { BestLoss = 0.7 });
        CheckpointFile.Save(seedPath, new Dictionary<string, string> { ["solver"] = "sgd", ["data.hash"] = "00ff" }, state, [new CurvePoint(1, 0.5, 0.4)]);
        Assert.Equal(7, CheckpointFile.Load(seedPath).State.Iteration);
        return File.ReadAllBytes(seedPath);
    }

    [Fact]
    public void Mutated_checkpoints_load_or_are_refused_cleanly()
    {
        using var dir = new TempDir();
        string path = dir["fuzz.ckpt"];
        var seed = Seed(dir);
        Mutations.Select(Gen.Bool).Sample((m, reseal) =>
        {
            var bytes = Mutate(seed, m);
            if (reseal && bytes.Length > 8)
                BitConverter.GetBytes(XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8))).CopyTo(bytes, bytes.Length - 8);
            File.WriteAllBytes(path, bytes);
            try
            {
                var (_, loaded, _) = CheckpointFile.Load(path);
                Assert.True(loaded.Iteration >= 0 && loaded.Epoch >= 0);
            }
            catch (DataFormatException e) { Assert.Contains(path, e.Message); }
        }, time: 3, threads: 1);
    }
}

using System.Buffers.Binary;
using CsCheck;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;
using Softmax.Tests.Model;

namespace Softmax.Tests.IO;

/// <summary>Round trips of the model file, and rejection of every kind of damaged file with a clear message.</summary>
public sealed class ModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("softmax-model-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static void AssertSame(SoftmaxModel a, SoftmaxModel b)
    {
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.Equal(a.ClassNames, b.ClassNames);
        Assert.Equal(a.Features, b.Features);
        Assert.Equal(a.Preprocessor.Kind, b.Preprocessor.Kind);
        Assert.Equal(a.Preprocessor.Scale, b.Preprocessor.Scale);
        Assert.Equal(a.Preprocessor.Mean, b.Preprocessor.Mean);
        Assert.Equal(a.Preprocessor.InverseStd, b.Preprocessor.InverseStd);
        Assert.Equal(a.Image, b.Image);
        var (x, y) = (a.Training, b.Training);
        Assert.Equal((x.Solver, x.L2, x.L1, x.Objective, x.Rows, x.Iterations, x.Epochs, x.Evaluations, x.StopReason, x.Seed, x.Seconds),
                     (y.Solver, y.L2, y.L1, y.Objective, y.Rows, y.Iterations, y.Epochs, y.Evaluations, y.StopReason, y.Seed, y.Seconds));
        Assert.Equal(x.Settings.OrderBy(p => p.Key), y.Settings.OrderBy(p => p.Key));
    }

    [Fact]
    public void A_trained_model_round_trips_with_bit_identical_predictions()
    {
        var model = ModelFixtures.Trained();
        string path = PathOf("m.smax");
        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);
        AssertSame(model, loaded);
        Assert.Equal(PreprocessKind.Standardize, loaded.Preprocessor.Kind);
        Assert.Equal(new ImageShape(3, 4, 1), loaded.Image);
        Assert.Equal("lbfgs", loaded.Training.Solver);
        Assert.NotEmpty(loaded.Training.Settings);
        var data = ModelFixtures.Data(rows: 50, seed: 9);
        Assert.Equal(model.DecisionFunction(data), loaded.DecisionFunction(data));
        Assert.Equal(model.PredictProba(data), loaded.PredictProba(data));
        var row = new float[12];
        data.Features.CopyRow(0, row);
        Assert.Equal(model.PredictLogProba(row), loaded.PredictLogProba(row));
        Assert.Equal(File.ReadAllBytes(path), ModelFile.Serialize(loaded));   // a stable encoding
        Assert.Single(Directory.GetFiles(_dir));                              // no temp file left behind
    }

    [Fact]
    public void Random_models_round_trip_exactly()
    {
        var gen = Gen.Select(Gen.Int[1, 6], Gen.Int[1, 9], Gen.Int[0, 3], Gen.Bool, Gen.Int);
        gen.Sample((c, d, kind, image, seed) =>
        {
            var rng = new Random(seed);
            // Every bit pattern of a double the model can score with: random mantissa and sign, exponent up to float32's.
            var theta = Enumerable.Range(0, c * d + c).Select(_ => Math.ScaleB(BitConverter.Int64BitsToDouble(rng.NextInt64() & ~(0x7FFL << 52) | (1023L << 52)), rng.Next(-1074, 128))).ToArray();
            float[] Floats() => Enumerable.Range(0, d).Select(_ => (float)rng.NextDouble()).ToArray();
            var pre = new Preprocessor((PreprocessKind)kind, (float)rng.NextDouble() + 0.1f, kind >= 2 ? Floats() : null, kind == 3 ? Floats() : null);
            var names = Enumerable.Range(0, c).Select(i => new string('é', i) + i).ToArray();
            var info = new TrainingInfo { Solver = "adam", Seed = seed, Objective = double.NaN, Settings = new Dictionary<string, string> { ["a"] = "", ["ü"] = "β" } };
            var model = new SoftmaxModel(theta, names, d, pre, image ? new ImageShape(1, d, 1, false) : null, info);
            var loaded = ModelFile.Deserialize(ModelFile.Serialize(model), "random");
            AssertSame(model, loaded);
        }, iter: 200);
    }

    [Fact]
    public void Every_truncation_is_rejected_as_truncated()
    {
        var bytes = ModelFile.Serialize(ModelFixtures.Tiny());
        for (int length = 0; length < bytes.Length; length++)
        {
            var e = Assert.Throws<ModelFormatException>(() => ModelFile.Deserialize(bytes.AsSpan(0, length), "tiny.smax"));
            Assert.StartsWith("tiny.smax: ", e.Message);
            if (length >= 4) Assert.Contains("truncated", e.Message);
            else Assert.Contains("not a Softmax model file", e.Message);
        }
    }

    [Fact]
    public void Every_flipped_byte_is_rejected_with_a_model_format_exception()
    {
        var bytes = ModelFile.Serialize(ModelFixtures.Tiny());
        foreach (byte mask in new byte[] { 0xFF, 0x01, 0x80 })
            for (int i = 0; i < bytes.Length; i++)
            {
                var damaged = (byte[])bytes.Clone();
                damaged[i] ^= mask;
                var e = Record.Exception(() => ModelFile.Deserialize(damaged, "tiny.smax"));
                Assert.True(e is ModelFormatException, $"byte {i} ^ 0x{mask:X2}: {e?.GetType().Name ?? "no exception"}: {e?.Message}");
                Assert.StartsWith("tiny.smax: ", e!.Message);
            }
    }

    [Fact]
    public void A_changed_parameter_is_reported_as_corrupted()
    {
        var bytes = ModelFile.Serialize(ModelFixtures.Tiny());
        int thetaStart = 16 + 3 * 5;   // header, then three names of 4 + 1 bytes
        bytes[thetaStart + 3] ^= 0x10;
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Deserialize(bytes, "tiny.smax"));
        Assert.Contains("corrupted", e.Message);
        var longer = ModelFile.Serialize(ModelFixtures.Tiny()).Append((byte)0).ToArray();
        Assert.Contains("corrupted", Assert.Throws<ModelFormatException>(() => ModelFile.Deserialize(longer, "tiny.smax")).Message);
    }

    [Fact]
    public void A_newer_version_is_rejected_by_name()
    {
        var bytes = ModelFile.Serialize(ModelFixtures.Tiny());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 4);
        string path = PathOf("new.smax");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("written by a newer version (v4); this build reads v3", e.Message);
    }

    [Fact]
    public void An_lbfgs_model_keeps_its_evaluations_and_a_mini_batch_model_its_epochs()
    {
        var data = ModelFixtures.Data();
        var options = new TrainingOptions { L2 = 1e-2, Seed = 5, Engine = new Softmax.Engine.CpuEngineOptions(1) };
        var lbfgs = SoftmaxTrainer.Fit(data, options);
        var t = ModelFile.Deserialize(ModelFile.Serialize(lbfgs.Model), "lbfgs.smax").Training;
        Assert.Null(t.Epochs);
        Assert.Equal(lbfgs.Solver.Evaluations, t.Evaluations);
        Assert.InRange(t.Evaluations!.Value, lbfgs.Solver.Iterations + 1, int.MaxValue);   // the start, then ≥ 1 per iteration

        var sgd = SoftmaxTrainer.Fit(data, options with
        {
            Solver = SolverKind.Sgd,
            MiniBatch = new Softmax.Optimization.MiniBatchOptions { Epochs = 3, BatchSize = 50, LearningRate = 0.05, Seed = 5 },
        });
        t = ModelFile.Deserialize(ModelFile.Serialize(sgd.Model), "sgd.smax").Training;
        Assert.Equal((3, (int?)null), (t.Epochs, t.Evaluations));
    }

    [Fact]
    public void A_version_1_file_reads_its_one_count_as_lbfgs_evaluations_or_epochs()
    {
        // Written by a version-1 build: C = 2, D = 2, solver "lbfgs", 1 iteration, the count 1.
        var old = ModelFile.Load(Path.Combine(AppContext.BaseDirectory, "corpus", "model-valid.softmax.ok")).Training;
        Assert.Equal(("lbfgs", 1, (int?)null, (int?)1), (old.Solver, old.Iterations, old.Epochs, old.Evaluations));

        var sgd = ModelFixtures.Tiny();
        sgd = new SoftmaxModel(sgd.Parameters, sgd.ClassNames, sgd.Features, sgd.Preprocessor, sgd.Image, sgd.Training with { Epochs = 7 });
        var loaded = ModelFile.Deserialize(AsVersion1(ModelFile.Serialize(sgd)), "v1.smax");
        Assert.Equal((7, (int?)null), (loaded.Training.Epochs, loaded.Training.Evaluations));
        Assert.Equal(sgd.Parameters, loaded.Parameters);
    }

    /// <summary>A version-3 file of a model without schema or evaluations, as version 1 wrote it: one count, no schema flag.</summary>
    private static byte[] AsVersion1(byte[] v3)
    {
        var body = v3.AsSpan(0, v3.Length - 8 - 1).ToArray().ToList();   // less the checksum and the schema flag
        byte[] counts = [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];              // epochs 7, evaluations −1
        int at = Enumerable.Range(0, body.Count - 8).Single(i => body.Skip(i).Take(8).SequenceEqual(counts));
        body.RemoveRange(at + 4, 4);
        var bytes = body.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 1);
        return [.. bytes, .. BitConverter.GetBytes(System.IO.Hashing.XxHash64.HashToUInt64(bytes))];
    }

    [Fact]
    public void A_file_of_another_kind_is_not_a_model()
    {
        string path = PathOf("data.csv");
        File.WriteAllText(path, "1,2,3\n4,5,6\n");
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a Softmax model file", e.Message);
        Assert.Equal("SMAX"u8.ToArray(), ModelFile.Serialize(ModelFixtures.Tiny())[..4]);
        Assert.Equal(0x58414D53u, ModelFile.Magic);
        using var stream = new MemoryStream([1, 2]);
        Assert.StartsWith("<upload>: ", Assert.Throws<ModelFormatException>(() => ModelFile.Load(stream, "<upload>")).Message);
    }

    [Fact]
    public void A_failed_save_leaves_the_existing_file_intact()
    {
        string path = PathOf("keep.smax");
        var original = ModelFixtures.Tiny();
        ModelFile.Save(original, path);
        var before = File.ReadAllBytes(path);
        // A model whose serialisation fails part-way (a null setting value).
        var broken = new SoftmaxModel(original.Parameters, original.ClassNames, original.Features,
            training: new TrainingInfo { Settings = new Dictionary<string, string> { ["bad"] = null! } });
        Assert.ThrowsAny<Exception>(() => ModelFile.Save(broken, path));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
        AssertSame(original, ModelFile.Load(path));
    }

    [Fact]
    public void Saving_onto_a_directory_fails_without_leaving_a_temp_file()
    {
        string target = PathOf("occupied");
        Directory.CreateDirectory(target);
        Assert.ThrowsAny<IOException>(() => ModelFile.Save(ModelFixtures.Tiny(), target));
        Assert.True(Directory.Exists(target));
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.ThrowsAny<IOException>(() => ModelFile.Save(ModelFixtures.Tiny(), PathOf("missing/dir/m.smax")));
    }

    [Fact]
    public void Saving_replaces_an_existing_model()
    {
        string path = PathOf("m.smax");
        ModelFile.Save(ModelFixtures.Tiny(), path);
        var other = new SoftmaxModel(new double[10], ["x", "y"], 4);
        ModelFile.Save(other, path);
        AssertSame(other, ModelFile.Load(path));
        Assert.Throws<FileNotFoundException>(() => ModelFile.Load(PathOf("absent.smax")));
    }
}

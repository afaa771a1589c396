using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Cli.Tests;

/// <summary>Hostile files at the command line: exit 2 naming the path, checked before training; safe terminal text; weights hash; checkpoint fingerprints.</summary>
public class HostileCliTests
{
    private static string Csv(int rows, int features, int seed)
    {
        var rng = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < rows; i++)
        {
            int y = i % 3;
            for (int j = 0; j < features; j++) text.Append((y * (j + 1) + rng.NextDouble()).ToString("R", CultureInfo.InvariantCulture)).Append(',');
            text.Append(y).Append('\n');
        }
        return text.ToString();
    }

    private static void AssertInputError(CliResult r, string path, string contains)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(path, r.Stderr);
        Assert.Contains(contains, r.Stderr);
        Assert.DoesNotContain("bug in softmax", r.Stderr);
    }

    [Fact]
    public void Same_seed_trainings_print_the_same_weights_hash_in_info()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["d.csv"], Csv(150, 4, 1));
        void Train(string model, string seed) =>
            Cli.Ok(dir.Path, "train", "--data", "d.csv", "--solver", "sgd", "--epochs", "3", "--seed", seed, "--threads", "1", "-q", "--model", model);
        Train("a.softmax", "11");
        Train("b.softmax", "11");
        string Hash(string model) => Cli.Ok(dir.Path, "info", "--model", model, "-q").Stdout.Split('\n')
            .Single(l => l.StartsWith("weights sha256: ", StringComparison.Ordinal))["weights sha256: ".Length..].Trim();
        string a = Hash("a.softmax");
        Assert.Equal(a, Hash("b.softmax"));
        // The reference: SHA-256 of θ as little-endian doubles.
        var theta = ModelFile.Load(dir["a.softmax"]).Parameters;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(theta.SelectMany(BitConverter.GetBytes).ToArray())), a);
        Train("c.softmax", "12");
        Assert.NotEqual(a, Hash("c.softmax"));
    }

    [Fact]
    public void Escape_sequences_from_files_never_reach_the_terminal()
    {
        using var dir = new TempDir();
        const string Evil = "\u001b]0;pwned\u0007\u001b[2J";
        var model = new SoftmaxModel(new double[6], [Evil, "b"], 2);
        ModelFile.Save(model, dir["evil.softmax"]);
        var info = Cli.Ok(dir.Path, "info", "--model", "evil.softmax", "-q");
        Assert.DoesNotContain('\u001b', info.Stdout);
        Assert.DoesNotContain('\u0007', info.Stdout);
        Assert.Contains("class names: \\x1B]0;pwned\\x07\\x1B[2J, b", info.Stdout);

        File.WriteAllText(dir["evil.svm"], "1 \u001b[2J\u202e:1\n");
        var r = Cli.Run(dir.Path, ["train", "--data", "evil.svm", "-q"]);
        AssertInputError(r, "evil.svm", "found '\\x1B[2J\\u202E'");
        Assert.DoesNotContain('\u001b', r.Stderr);
    }

    [Fact]
    public void A_model_path_that_cannot_be_written_is_refused_before_training()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["d.csv"], Csv(60, 3, 2));
        Directory.CreateDirectory(dir["out"]);
        File.WriteAllText(dir["file"], "x");
        var clock = Stopwatch.StartNew();
        var r = Cli.Run(dir.Path, ["train", "--data", "d.csv", "--model", "out", "--solver", "sgd", "--epochs", "1000000", "-q"]);
        AssertInputError(r, "--model out is a directory", "give a file name");
        var r2 = Cli.Run(dir.Path, ["train", "--data", "d.csv", "--model", "file/m.softmax", "--solver", "sgd", "--epochs", "1000000", "-q"]);
        AssertInputError(r2, "--model file/m.softmax", "cannot be written");
        var r3 = Cli.Run(dir.Path, ["train", "--data", "d.csv", "--metrics-json", "out", "--solver", "sgd", "--epochs", "1000000", "-q"]);
        AssertInputError(r3, "--metrics-json out is a directory", "give a file name");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "a million epochs ran before the refusal");
    }

    [Fact]
    public async Task Devices_pipes_and_directories_as_inputs_exit_2_at_once()
    {
        using var dir = new TempDir();
        AssertInputError(Cli.Run(dir.Path, ["info", "--model", "/dev/zero"], timeoutSeconds: 60), "/dev/zero", "not a Softmax model file");
        AssertInputError(Cli.Run(dir.Path, ["train", "--data", "/dev/zero", "-q"], timeoutSeconds: 60), "/dev/zero", "/dev/zero: ");
        Directory.CreateDirectory(dir["m.softmax"]);
        AssertInputError(Cli.Run(dir.Path, ["info", "--model", "m.softmax"]), "m.softmax", "is a directory");
        string fifo = dir["rows.csv"];
        using (var mk = Process.Start("mkfifo", fifo)) await mk.WaitForExitAsync();
        var writer = Task.Run(() =>
        {
            try
            {
                using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                w.Write(Encoding.ASCII.GetBytes(Csv(30, 3, 3)));
            }
            catch (IOException) { }
        });
        AssertInputError(Cli.Run(dir.Path, ["train", "--data", "rows.csv", "-q"], timeoutSeconds: 60), "rows.csv", "expected a regular file, found a pipe");
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_checkpoint_refuses_other_data_under_the_same_path_and_crafted_fields()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["d.csv"], Csv(90, 4, 4));
        string[] train = ["train", "--data", "d.csv", "--solver", "sgd", "--epochs", "2", "--checkpoint-every", "1", "--seed", "3", "-q"];
        Cli.Ok(dir.Path, train);
        string ckpt = dir["model.softmax.ckpt"];
        var good = File.ReadAllBytes(ckpt);

        File.WriteAllText(dir["d.csv"], Csv(90, 5, 4));   // one more column, same path
        AssertInputError(Cli.Run(dir.Path, [.. train, "--resume", ckpt]), ckpt, "the checkpoint was trained on other data: data.features was 4, d.csv now has 5");
        File.WriteAllText(dir["d.csv"], Csv(90, 3, 4));   // one fewer
        AssertInputError(Cli.Run(dir.Path, [.. train, "--resume", ckpt]), ckpt, "data.features was 4, d.csv now has 3");
        File.WriteAllText(dir["d.csv"], Csv(90, 4, 5));   // same shape, other values
        AssertInputError(Cli.Run(dir.Path, [.. train, "--resume", ckpt]), ckpt, "trained on other data: data.hash was");

        File.WriteAllText(dir["d.csv"], Csv(90, 4, 4));
        Cli.Ok(dir.Path, [.. train, "--resume", ckpt]);   // the same data resumes
        File.WriteAllBytes(ckpt, Crafted(good, epoch: -5));
        AssertInputError(Cli.Run(dir.Path, [.. train, "--resume", ckpt]), ckpt, "epoch -5; none may be negative");
        File.WriteAllBytes(ckpt, Crafted(good, buffers: int.MaxValue));
        AssertInputError(Cli.Run(dir.Path, [.. train, "--resume", ckpt]), ckpt, $"claims {int.MaxValue} vectors");
    }

    /// <summary>The checkpoint with its epoch or vector count replaced and the checksum made valid again.</summary>
    private static byte[] Crafted(byte[] good, int? epoch = null, int? buffers = null)
    {
        var bytes = (byte[])good.Clone();
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        r.ReadBytes(8 + 4);
        int n = r.ReadInt32();
        for (int i = 0; i < 2 * n; i++) r.ReadString();
        r.ReadString();   // solver
        r.ReadInt32();    // iteration
        int at = (int)r.BaseStream.Position;   // epoch, then evaluations, then the count of named vectors
        if (epoch is { } e) BitConverter.GetBytes(e).CopyTo(bytes, at);
        if (buffers is { } b) BitConverter.GetBytes(b).CopyTo(bytes, at + 8);
        BitConverter.GetBytes(XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8))).CopyTo(bytes, bytes.Length - 8);
        return bytes;
    }

    [Fact]
    public void Huge_finite_values_are_refused_in_training_and_predicted_finitely()
    {
        using var dir = new TempDir();
        var lines = Csv(60, 3, 6).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[4] = "1e20,1,2," + lines[4].Split(',')[^1];
        File.WriteAllText(dir["big.csv"], string.Join('\n', lines) + "\n");
        var r = Cli.Run(dir.Path, ["train", "--data", "big.csv", "-q"]);
        AssertInputError(r, "big.csv", "row 5, feature 1 is 1E+20; values beyond ±1e15 overflow float32 training arithmetic");
        Cli.Ok(dir.Path, "train", "--data", "big.csv", "--preprocess", "standardize", "-q");

        // Rows near float32's limit: finite probabilities that sum to 1, as JSON and CSV, exit 0.
        File.WriteAllText(dir["rows.csv"], "3e38,3e38,-3e38\n1,2,3\n");
        foreach (var format in new[] { "json", "csv" })
        {
            var p = Cli.Ok(dir.Path, "predict", "--model", "model.softmax", "--data", "rows.csv", "--output-format", format, "--output", $"p.{format}", "-q");
            string text = File.ReadAllText(dir[$"p.{format}"]);
            Assert.DoesNotContain("NaN", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Infinity", text, StringComparison.OrdinalIgnoreCase);
        }
        var model = ModelFile.Load(dir["model.softmax"]);
        var probabilities = model.PredictProba([3e38f, 3e38f, -3e38f]);
        Assert.Equal(1, probabilities.Sum(v => (double)v), 1e-6);
    }
}

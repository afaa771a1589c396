using System.Diagnostics;
using System.Globalization;
using Softmax.Data;

namespace Softmax.Tests.Data;

public class NamedDatasetsTests
{
    // Column sums of the 64 pixel columns of ../shared/data/digits.csv.gz, computed with Python's gzip + csv.
    private static readonly long[] DigitsColumnSums =
    [
        0, 546, 9353, 21269, 21291, 10390, 2448, 233, 10, 3583, 18657, 21527, 18472, 14692, 3318, 194,
        5, 4675, 17796, 12566, 12755, 14028, 3214, 90, 2, 4438, 16337, 15852, 17839, 13570, 4165, 4,
        0, 4204, 13778, 16302, 18512, 15713, 5228, 0, 16, 2846, 12366, 12989, 13787, 14801, 6211, 49,
        13, 1266, 13490, 17142, 16921, 15739, 6694, 371, 1, 502, 9987, 21724, 21221, 12155, 3716, 655,
    ];

    [Theory]
    [InlineData("digits", "digits"), InlineData(" Fashion_MNIST ", "fashion-mnist"), InlineData("fashion", "fashion-mnist")]
    [InlineData("FashionMNIST", "fashion-mnist"), InlineData("CIFAR-10", "cifar10"), InlineData("mnist", "mnist")]
    [InlineData("iris", null), InlineData("fashion-mnist.csv", null), InlineData("", null)]
    public void Canonical_resolves_the_aliases_and_rejects_other_names(string name, string? expected)
    {
        Assert.Equal(expected, NamedDatasets.Canonical(name));
        if (expected is null) Assert.Throws<ArgumentException>(() => NamedDatasets.SearchPaths(name));
        else Assert.Contains(expected, NamedDatasets.SearchPaths(name)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void DigitsFromEmbeddedResource()
    {
        var ds = NamedDatasets.LoadDigits();
        Assert.Equal(1797, ds.Rows);
        Assert.Equal(64, ds.FeatureCount);
        Assert.Equal(new ImageShape(8, 8, 1) { MaxValue = 16 }, ds.Image);   // pixels 0..16: the range preprocessing divides by
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)), ds.ClassNames);
        Assert.Equal(new[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }, ds.ClassCounts());
        var sums = new long[64];
        var row = new float[64];
        for (int i = 0; i < ds.Rows; i++)
        {
            ds.Features.CopyRow(i, row);
            for (int j = 0; j < 64; j++) sums[j] += (long)row[j];
        }
        Assert.Equal(DigitsColumnSums, sums);
        var (train, test) = NamedDatasets.Load("digits");
        Assert.Equal(1797, train.Rows + test.Rows);
    }

    private const string FashionDir = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void FashionMnistMatchesPythonReader()
    {
        Assert.True(Directory.Exists(FashionDir),
            $"{FashionDir} is missing: install the Debian package with 'apt-get install dataset-fashion-mnist' (CI installs it).");
        // Load speed is measured in bench/readers, not here: unit tests assert no timings.
        var (train, test) = NamedDatasets.Load("fashion-mnist", FashionDir);
        Assert.Equal(60000, train.Rows);
        Assert.Equal(10000, test.Rows);
        Assert.Equal(784, train.FeatureCount);
        Assert.Equal("Ankle boot", train.ClassNames[9]);
        Assert.Equal(new ImageShape(28, 28, 1), train.Image);

        var expected = PythonSums();
        foreach (var (name, ds) in new[] { ("train", train), ("t10k", test) })
        {
            var data = ((ByteMatrix)ds.Features).Data;
            long total = 0, weighted = 0;
            for (int i = 0; i < data.Length; i++) { total += data[i]; weighted += (long)data[i] * (i % 9973); }
            long labels = 0;
            for (int i = 0; i < ds.Rows; i++) labels += (long)ds.Labels[i] * (i % 101);
            Assert.Equal(expected[name], (total, weighted, labels));
        }
    }

    [Theory]
    [InlineData("digits")]
    [InlineData("fashion-mnist")]
    public void One_split_loads_the_same_rows_as_the_pair(string name)
    {
        var (train, test) = NamedDatasets.Load(name);
        foreach (var (split, expected) in new[] { (DataSplit.Train, train), (DataSplit.Test, test) })
        {
            var alone = NamedDatasets.Load(name, split);
            Assert.Equal(expected.Rows, alone.Rows);
            Assert.Equal(expected.Labels, alone.Labels);
            Assert.Equal(expected.ClassNames, alone.ClassNames);
            var a = new float[expected.FeatureCount];
            var b = new float[expected.FeatureCount];
            foreach (int i in new[] { 0, expected.Rows / 2, expected.Rows - 1 })
            {
                expected.Features.CopyRow(i, a);
                alone.Features.CopyRow(i, b);
                Assert.Equal(a, b);
            }
        }
    }

    /// <summary>Pixel sums from an independent reader: Python's gzip and struct in a child process.</summary>
    private static Dictionary<string, (long, long, long)> PythonSums()
    {
        const string script = """
            import gzip, struct, sys
            d = sys.argv[1]
            for split in ("train", "t10k"):
                with gzip.open(f"{d}/{split}-images-idx3-ubyte.gz", "rb") as f:
                    magic, n, h, w = struct.unpack(">IIII", f.read(16))
                    assert magic == 2051
                    data = f.read()
                assert len(data) == n * h * w
                total = sum(data)
                weighted = 0
                for r in range(9973):
                    weighted += r * sum(data[r::9973])
                with gzip.open(f"{d}/{split}-labels-idx1-ubyte.gz", "rb") as f:
                    magic, m = struct.unpack(">II", f.read(8))
                    labels = f.read()
                assert magic == 2049 and m == n
                lab = sum(y * (i % 101) for i, y in enumerate(labels))
                print(split, total, weighted, lab)
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("-");
        psi.ArgumentList.Add(FashionDir);
        using var process = Process.Start(psi)!;
        process.StandardInput.Write(script.Replace("\r", ""));
        process.StandardInput.Close();
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3 failed: {error}");
        var result = new Dictionary<string, (long, long, long)>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            result[f[0]] = (long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture));
        }
        Assert.Equal(2, result.Count);
        return result;
    }

    [Fact]
    public void MissingDatasetListsPlacesAndHints()
    {
        using var dir = new TempDir();
        string? old = Environment.GetEnvironmentVariable("SOFTMAX_DATA");
        try
        {
            Environment.SetEnvironmentVariable("SOFTMAX_DATA", dir.File("user"));
            var e = Assert.Throws<FileNotFoundException>(() => NamedDatasets.Locate("mnist", dir.File("given")));
            Assert.Contains(dir.File("given"), e.Message);
            Assert.Contains("/usr/share/datasets/mnist", e.Message);
            Assert.Contains(Path.Combine(dir.File("user"), "mnist"), e.Message);
            Assert.Contains("softmax data get mnist", e.Message);
            var f = Assert.Throws<FileNotFoundException>(() => NamedDatasets.Locate("cifar10", dir.Path));
            Assert.Contains("softmax data get cifar10", f.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SOFTMAX_DATA", old);
        }
    }

    [Fact]
    public void Cifar10FromUserDirectory()
    {
        using var dir = new TempDir();
        string batches = Path.Combine(dir.Path, "cifar10", "cifar-10-batches-bin");
        Directory.CreateDirectory(batches);
        // Five training batches of 10000 records would be 150 MB; the split only needs 50000 rows, so write them sparsely:
        // one label byte per record set to the record's batch index, pixels zero.
        for (int b = 1; b <= 5; b++)
        {
            var bytes = new byte[10000 * 3073];
            for (int r = 0; r < 10000; r++) bytes[r * 3073] = (byte)(r % 10);
            File.WriteAllBytes(Path.Combine(batches, $"data_batch_{b}.bin"), bytes);
        }
        var test = new byte[1500 * 3073];
        for (int r = 0; r < 1500; r++) test[r * 3073] = (byte)((r + 3) % 10);
        File.WriteAllBytes(Path.Combine(batches, "test_batch.bin"), test);
        var (train, testSet) = NamedDatasets.Load("cifar10", dir.Path);
        Assert.Equal((50000, 1500), (train.Rows, testSet.Rows));
        Assert.Equal(9000 % 10, train.Labels[49000]);
        Assert.Equal(3, testSet.Labels[0]);
        Assert.Equal("cifar10", train.Name);
    }
}

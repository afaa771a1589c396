// Reader throughput on generated data (and Fashion-MNIST when installed). Run:
//   dotnet run -c Release --project bench/readers [-- sizeMB]
// Each reader runs once to warm up, then the best of three runs is reported as MB/s of input bytes.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Softmax.Data;
using Softmax.TestSupport;

int sizeMb = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
string dir = Directory.CreateTempSubdirectory("softmax-bench-").FullName;
var rng = new Random(1);
try
{
    // Numeric CSV: 64 features of 6 significant digits plus an integer label, like a typical exported table.
    string csv = Path.Combine(dir, "numeric.csv");
    using (var w = new StreamWriter(csv, false, new UTF8Encoding(false), 1 << 20))
    {
        var line = new StringBuilder();
        long written = 0;
        while (written < sizeMb * 1_000_000L)
        {
            line.Clear();
            for (int j = 0; j < 64; j++) line.Append((rng.NextDouble() * 200 - 100).ToString("G6", CultureInfo.InvariantCulture)).Append(',');
            line.Append(rng.Next(10)).Append('\n');
            w.Write(line);
            written += line.Length;
        }
    }
    Report("CSV (64 float cols, G6)", csv, () => CsvReader.Read(csv));

    string svm = Path.Combine(dir, "sparse.svm");
    using (var w = new StreamWriter(svm, false, new UTF8Encoding(false), 1 << 20))
    {
        long written = 0;
        var line = new StringBuilder();
        while (written < sizeMb / 2 * 1_000_000L)
        {
            line.Clear().Append(rng.Next(10));
            int index = 0;
            for (int k = 0; k < 40; k++) { index += rng.Next(1, 50); line.Append(' ').Append(index).Append(':').Append((rng.NextDouble()).ToString("G6", CultureInfo.InvariantCulture)); }
            line.Append('\n');
            w.Write(line);
            written += line.Length;
        }
    }
    Report("LIBSVM (40 nnz/row)", svm, () => LibSvmReader.Read(svm));

    int rows = 20000;
    var floats = new float[rows * 256];
    for (int i = 0; i < floats.Length; i++) floats[i] = (float)rng.NextDouble();
    NpyWriter.Write(Path.Combine(dir, "X.npy"), floats, rows, 256);
    NpyWriter.Write(Path.Combine(dir, "y.npy"), Enumerable.Range(0, rows).Select(i => i % 10).ToArray(), rows);
    Report("NPY <f4 (20000 x 256)", Path.Combine(dir, "X.npy"), () => NpyReader.Read(Path.Combine(dir, "X.npy"), Path.Combine(dir, "y.npy")));

    var cifar = new byte[10000 * 3073];
    rng.NextBytes(cifar);
    for (int r = 0; r < 10000; r++) cifar[r * 3073] = (byte)(r % 10);
    string batch = Path.Combine(dir, "data_batch_1.bin");
    File.WriteAllBytes(batch, cifar);
    Report("CIFAR-10 batch (10000)", batch, () => CifarReader.Read(batch));

    const string fashion = "/usr/share/datasets/fashion-mnist";
    if (Directory.Exists(fashion))
    {
        long bytes = Directory.EnumerateFiles(fashion).Sum(f => new FileInfo(f).Length);
        Report("Fashion-MNIST train+test (.gz, 70000 images)", fashion, () => NamedDatasets.Load("fashion-mnist", fashion), bytes);
    }
    else Console.WriteLine($"Fashion-MNIST skipped: {fashion} is missing (apt-get install dataset-fashion-mnist).");
    Report("digits (embedded)", "digits", () => NamedDatasets.LoadDigits(), 0);
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static void Report(string name, string path, Func<object> read, long? inputBytes = null)
{
    long bytes = inputBytes ?? new FileInfo(path).Length;
    read();
    double best = double.MaxValue;
    for (int i = 0; i < 3; i++)
    {
        GC.Collect();
        var sw = Stopwatch.StartNew();
        read();
        best = Math.Min(best, sw.Elapsed.TotalSeconds);
    }
    string rate = bytes > 0 ? $"{bytes / 1e6 / best,8:F1} MB/s of input ({bytes / 1e6:F1} MB)" : "";
    Console.WriteLine($"{name,-46} {best * 1000,8:F1} ms  {rate}");
}

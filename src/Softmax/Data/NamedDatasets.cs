using System.IO.Compression;

namespace Softmax.Data;

/// <summary>
/// The datasets known by name: <c>digits</c> (embedded, always available), and <c>fashion-mnist</c>, <c>mnist</c>,
/// <c>cifar10</c>, found in a given directory or the standard places (see <see cref="SearchPaths"/>).
/// </summary>
public static class NamedDatasets
{
    /// <summary>The names <see cref="Load(string, string?)"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["digits", "fashion-mnist", "mnist", "cifar10"];

    /// <summary>
    /// The UCI handwritten digits (1797 rows of 8 × 8 pixels valued 0..16, classes "0".."9"), from the embedded
    /// resource (CC BY 4.0).
    /// </summary>
    public static Dataset LoadDigits()
    {
        var assembly = typeof(NamedDatasets).Assembly;
        const string resource = "Softmax.digits.csv.gz";
        Stream Open() => new GZipStream(assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing from the build."), CompressionMode.Decompress);
        var raw = CsvReader.Read(Open, resource, new CsvOptions { Delimiter = ',', HasHeader = false });
        return new Dataset(raw.Features, raw.Labels, raw.ClassNames, image: new ImageShape(8, 8, 1) { MaxValue = 16 }, name: "digits");
    }

    /// <summary>
    /// The standard train/test split of a named dataset. <c>digits</c> has none, so it is split stratified with 20 %
    /// held out and seed 0. <paramref name="directory"/>, when given, is searched first.
    /// </summary>
    public static (Dataset Train, Dataset Test) Load(string name, string? directory = null) =>
        Normalize(name) == "digits" ? DigitsSplit()   // one parse and split, not one per half
            : (Load(name, DataSplit.Train, directory), Load(name, DataSplit.Test, directory));

    /// <summary>The embedded digits split 80/20 with seed 0: both halves of it.</summary>
    private static (Dataset Train, Dataset Test) DigitsSplit() => LoadDigits().Split(0.2, seed: 0);

    /// <summary>One split of a named dataset (see <see cref="Load(string, string?)"/>), without reading the other's files.</summary>
    public static Dataset Load(string name, DataSplit split, string? directory = null)
    {
        string key = Normalize(name);
        if (key == "digits")
        {
            var (train, test) = DigitsSplit();
            return split == DataSplit.Train ? train : test;
        }
        string dir = Locate(key, directory);
        if (key == "cifar10") return Named(CifarReader.Read(dir, CifarVariant.Cifar10, split), key);
        string prefix = split == DataSplit.Train ? "train" : "t10k";
        return Named(IdxReader.ReadPair(IdxFile(dir, prefix + "-images-idx3-ubyte"), IdxFile(dir, prefix + "-labels-idx1-ubyte")), key);
    }

    /// <summary>The directories searched for <paramref name="name"/>, in order.</summary>
    public static IReadOnlyList<string> SearchPaths(string name, string? directory = null)
    {
        string key = Normalize(name);
        string[] given = directory is null ? [] : [directory, Path.Combine(directory, key)];
        return [.. given, Path.Combine("/usr/share/datasets", key), UserDataDirectory(key)];
    }

    /// <summary>
    /// Where <c>softmax data get</c> puts a dataset: <c>$SOFTMAX_DATA/&lt;name&gt;</c>, else
    /// <c>$XDG_DATA_HOME/softmax/&lt;name&gt;</c>, else <c>~/.local/share/softmax/&lt;name&gt;</c>.
    /// </summary>
    public static string UserDataDirectory(string name)
    {
        string key = Normalize(name);
        if (Environment.GetEnvironmentVariable("SOFTMAX_DATA") is { Length: > 0 } root) return Path.Combine(root, key);
        if (Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "softmax", key);
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "softmax", key);
    }

    /// <summary>The first searched directory holding the dataset's files; a <see cref="FileNotFoundException"/> listing the places otherwise.</summary>
    public static string Locate(string name, string? directory = null)
    {
        string key = Normalize(name);
        if (key == "digits") throw new ArgumentException("digits is embedded and needs no directory.", nameof(name));
        var searched = SearchPaths(key, directory);
        foreach (var dir in searched)
        {
            if (!Directory.Exists(dir)) continue;
            if (key == "cifar10")
            {
                foreach (var d in new[] { dir, Path.Combine(dir, "cifar-10-batches-bin") })
                    if (File.Exists(Path.Combine(d, "data_batch_1.bin")) && File.Exists(Path.Combine(d, "test_batch.bin"))) return d;
            }
            else if (TryIdxFile(dir, "train-images-idx3-ubyte") is not null && TryIdxFile(dir, "t10k-labels-idx1-ubyte") is not null)
                return dir;
        }
        string hint = key == "fashion-mnist"
            ? "Install it with 'apt-get install dataset-fashion-mnist' or 'softmax data get fashion-mnist'"
            : $"Fetch it with 'softmax data get {key}'";
        throw new FileNotFoundException(
            $"Dataset '{key}' not found. Searched: {string.Join(", ", searched)}. {hint}, or pass its directory.");
    }

    /// <summary>
    /// The name <paramref name="name"/> stands for (trimmed, lower case, '_' as '-', "fashion"/"fashionmnist" and
    /// "cifar-10" resolved), or null when it names none of <see cref="Names"/>.
    /// </summary>
    public static string? Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant().Replace('_', '-') switch
        {
            "fashion" or "fashionmnist" => "fashion-mnist",
            "cifar-10" => "cifar10",
            var other => other,
        };
        return Names.Contains(key) ? key : null;
    }

    private static string Normalize(string name) =>
        Canonical(name) ?? throw new ArgumentException($"Unknown dataset '{name}'; known: {string.Join(", ", Names)}.", nameof(name));

    private static string? TryIdxFile(string dir, string stem) =>
        new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx", StringComparison.Ordinal) }
            .Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);

    private static string IdxFile(string dir, string stem) =>
        TryIdxFile(dir, stem) ?? throw new FileNotFoundException($"{dir} lacks {stem}[.gz].", Path.Combine(dir, stem));

    private static Dataset Named(Dataset d, string name) =>
        new(d.Features, d.Labels, name == "fashion-mnist" && d.ClassCount == 10 ? FashionMnistClassNames : d.ClassNames, d.SampleWeights, d.Image, name);

    /// <summary>Fashion-MNIST's class names in label order.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
}

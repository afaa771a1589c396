using System.Buffers.Binary;

namespace Softmax.Data;

/// <summary>Loads a dataset from a file or directory in any supported format, detecting the format when asked.</summary>
public static class DataLoader
{
    /// <summary>Reads <paramref name="path"/> as <paramref name="format"/> (detected when <see cref="DataFormat.Auto"/>).</summary>
    public static Dataset Load(string path, DataFormat format = DataFormat.Auto, DataLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new DataLoadOptions();
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"No such file or directory: {path}", path);
        if (format == DataFormat.Auto) format = Detect(path);
        return format switch
        {
            DataFormat.Idx => LoadIdx(path, options),
            DataFormat.Cifar10 => CifarReader.Read(path, CifarVariant.Cifar10, options.Split),
            DataFormat.Cifar100 => CifarReader.Read(path, CifarVariant.Cifar100, options.Split, options.CifarLabel),
            DataFormat.Csv => CsvReader.Read(path, options.Csv),
            DataFormat.LibSvm => LibSvmReader.Read(path, options.FeatureCount),
            DataFormat.Npy => (options.LabelsPath ?? FindNpyLabels(path)) is { } labels ? NpyReader.Read(path, labels) : NpyReader.Read(path),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Guesses the format from the directory contents, the file name and the first bytes.</summary>
    public static DataFormat Detect(string path)
    {
        if (Directory.Exists(path))
        {
            var names = Directory.EnumerateFiles(path).Concat(Directory.EnumerateDirectories(path).SelectMany(Directory.EnumerateFiles))
                .Select(Path.GetFileName).ToArray();
            if (names.Any(n => n!.StartsWith("data_batch_", StringComparison.Ordinal) || n == "test_batch.bin")) return DataFormat.Cifar10;
            if (names.Any(n => n is "train.bin" or "test.bin")) return DataFormat.Cifar100;
            if (names.Any(n => n!.Contains("idx3-ubyte", StringComparison.Ordinal))) return DataFormat.Idx;
            throw new DataFormatException(path, null, "expected a directory of IDX files or CIFAR batches, found neither");
        }
        string name = Path.GetFileName(path).ToLowerInvariant();
        string bare = name.EndsWith(".gz", StringComparison.Ordinal) ? name[..^3] : name;
        if (bare.Contains("-ubyte", StringComparison.Ordinal)) return DataFormat.Idx;
        return Path.GetExtension(bare) switch
        {
            ".idx" => DataFormat.Idx,
            ".npy" => DataFormat.Npy,
            ".csv" or ".tsv" => DataFormat.Csv,
            ".svm" or ".libsvm" or ".svmlight" => DataFormat.LibSvm,
            // A record is 3073 bytes (CIFAR-10) or 3074 (CIFAR-100); a length that fits both is CIFAR-10.
            ".bin" => new FileInfo(path).Length is var n && n % 3073 != 0 && n % 3074 == 0 ? DataFormat.Cifar100 : DataFormat.Cifar10,
            _ => Sniff(path),
        };
    }

    private static DataFormat Sniff(string path)
    {
        using var stream = DataFiles.Open(path, out _, out _);
        var head = new byte[4096];
        int n = DataFiles.ReadFully(stream, head);
        var span = head.AsSpan(0, n);
        if (span.StartsWith(NpyHeader.Magic)) return DataFormat.Npy;
        if (n >= 4 && BinaryPrimitives.ReadInt32BigEndian(span) is 0x801 or 0x803) return DataFormat.Idx;
        int newline = span.IndexOf((byte)'\n');
        var first = newline < 0 ? span : span[..newline];
        // LIBSVM: "label idx:val ..." – a space-separated token holding a colon after the first token.
        int space = first.IndexOfAny((byte)' ', (byte)'\t');
        return space > 0 && first[space..].Contains((byte)':') ? DataFormat.LibSvm : DataFormat.Csv;
    }

    /// <summary>
    /// The labels file for an IDX images file, by the standard naming (<c>*-images-idx3-ubyte[.gz]</c> ↔
    /// <c>*-labels-idx1-ubyte[.gz]</c>, or any <c>images</c> → <c>labels</c> substitution), with or without .gz.
    /// </summary>
    private static string? FindIdxLabels(string imagesPath)
    {
        string name = Path.GetFileName(imagesPath);
        string bare = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;
        var candidates = new List<string>();
        if (bare.Contains("images-idx3", StringComparison.Ordinal)) candidates.Add(bare.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
        if (bare.Contains("idx3", StringComparison.Ordinal)) candidates.Add(bare.Replace("idx3", "idx1", StringComparison.Ordinal).Replace("images", "labels", StringComparison.Ordinal));
        if (bare.Contains("images", StringComparison.Ordinal)) candidates.Add(bare.Replace("images", "labels", StringComparison.Ordinal));
        return Sibling(imagesPath, candidates.Distinct().SelectMany(c => new[] { c, c + ".gz" }));
    }

    /// <summary>The first of <paramref name="names"/> that exists beside <paramref name="path"/> and is not the file itself.</summary>
    private static string? Sibling(string path, IEnumerable<string> names)
    {
        string full = Path.GetFullPath(path), dir = Path.GetDirectoryName(full)!;
        return names.Select(name => Path.Combine(dir, name))
            .FirstOrDefault(candidate => File.Exists(candidate) && !string.Equals(candidate, full, StringComparison.Ordinal));
    }

    private static Dataset LoadIdx(string path, DataLoadOptions options)
    {
        if (Directory.Exists(path))
        {
            string prefix = options.Split == DataSplit.Train ? "train" : "t10k";
            var images = Directory.EnumerateFiles(path).Where(f => Path.GetFileName(f).Contains("idx3-ubyte", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
            var pick = images.FirstOrDefault(f => Path.GetFileName(f).StartsWith(prefix, StringComparison.Ordinal))
                ?? (images.Length == 1 ? images[0] : null);
            if (pick is null)
                throw new DataFormatException(path, null, $"expected {prefix}-images-idx3-ubyte[.gz] in the directory, found {(images.Length == 0 ? "no IDX images" : string.Join(", ", images.Select(Path.GetFileName)))}");
            path = pick;
        }
        string labels = options.LabelsPath ?? FindIdxLabels(path)
            ?? throw new DataFormatException(path, null, "expected a labels file beside the images (…-labels-idx1-ubyte[.gz]), found none; give it explicitly");
        return IdxReader.ReadPair(path, labels);
    }

    private static string? FindNpyLabels(string path)
    {
        string name = Path.GetFileName(path);
        var pairs = new[] { ("features", "labels"), ("X", "y"), ("x", "y"), ("images", "labels"), ("data", "labels") };
        return Sibling(path, pairs.Where(p => name.Contains(p.Item1, StringComparison.Ordinal))
            .Select(p => name.Replace(p.Item1, p.Item2, StringComparison.Ordinal)));
    }
}

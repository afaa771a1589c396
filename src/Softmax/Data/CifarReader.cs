namespace Softmax.Data;

/// <summary>Which CIFAR binary layout a file holds.</summary>
public enum CifarVariant
{
    /// <summary>1 label byte, then 3072 pixel bytes.</summary>
    Cifar10,
    /// <summary>2 label bytes (coarse, fine), then 3072 pixel bytes.</summary>
    Cifar100,
}

/// <summary>Which CIFAR-100 label becomes the class.</summary>
public enum CifarLabel
{
    /// <summary>The 100 fine classes.</summary>
    Fine,
    /// <summary>The 20 coarse superclasses.</summary>
    Coarse,
}

/// <summary>Which half of a standard split to read from a directory.</summary>
public enum DataSplit
{
    /// <summary>The training files.</summary>
    Train,
    /// <summary>The test files.</summary>
    Test,
}

/// <summary>
/// Reads CIFAR-10 / CIFAR-100 binary batches. Each record is the label byte(s) then 3072 pixel bytes:
/// 1024 R, 1024 G, 1024 B, each plane row-major 32 × 32. The planar layout is kept and recorded in the
/// <see cref="ImageShape"/> so weight pictures come out right.
/// </summary>
public static class CifarReader
{
    /// <summary>Pixel bytes per image.</summary>
    public const int ImageBytes = 3072;

    /// <summary>The CIFAR-10 class names in label order.</summary>
    public static IReadOnlyList<string> Cifar10ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// Reads a batch file, or a directory holding data_batch_1..5.bin / test_batch.bin (CIFAR-10) or
    /// train.bin / test.bin (CIFAR-100), also inside a cifar-10-batches-bin or cifar-100-binary subfolder.
    /// </summary>
    public static Dataset Read(string fileOrDirectory, CifarVariant variant = CifarVariant.Cifar10,
        DataSplit split = DataSplit.Train, CifarLabel label = CifarLabel.Fine)
    {
        string[] files = Directory.Exists(fileOrDirectory) ? FindBatches(fileOrDirectory, variant, split) : [fileOrDirectory];
        int labelBytes = variant == CifarVariant.Cifar10 ? 1 : 2;
        int recordSize = labelBytes + ImageBytes;
        long records = 0;
        foreach (var f in files)
        {
            if (!File.Exists(f)) throw new FileNotFoundException($"No such CIFAR batch: {f}", f);
            long length = new FileInfo(f).Length;
            if (length == 0) throw new DataFormatException(f, null, $"expected {variant} records of {recordSize} bytes, found an empty file");
            if (length % recordSize != 0)
                throw new DataFormatException(f, length / recordSize + 1,
                    $"expected a multiple of the {variant} record size {recordSize} bytes, found {length} bytes ({length % recordSize} left over; wrong variant or truncated file?)");
            records += length / recordSize;
        }
        if (records * ImageBytes > Array.MaxLength) throw new DataFormatException(files[0], null, $"{records} images exceed the largest array .NET allows");

        int classes = variant == CifarVariant.Cifar10 ? 10 : label == CifarLabel.Fine ? 100 : 20;
        int labelOffset = variant == CifarVariant.Cifar100 && label == CifarLabel.Fine ? 1 : 0;
        string kind = variant == CifarVariant.Cifar10 ? "" : label == CifarLabel.Fine ? " fine" : " coarse";
        var pixels = GC.AllocateUninitializedArray<byte>((int)(records * ImageBytes));
        var labels = new int[records];
        int row = 0;
        Span<byte> head = stackalloc byte[2];
        foreach (var f in files)
        {
            using var fs = DataFiles.OpenRegular(f, DataFiles.BufferSize);
            long count = fs.Length / recordSize;
            for (long r = 0; r < count; r++, row++)
            {
                if (DataFiles.ReadFully(fs, head[..labelBytes]) < labelBytes ||
                    DataFiles.ReadFully(fs, pixels.AsSpan(row * ImageBytes, ImageBytes)) < ImageBytes)
                    throw new DataFormatException(f, r + 1, "truncated record (the file shrank while being read)");
                int y = head[labelOffset];
                if (y >= classes)
                    throw new DataFormatException(f, r + 1, $"expected a{kind} label in 0..{classes - 1}, found {y}");
                labels[row] = y;
            }
        }
        var names = ClassNames(Path.GetDirectoryName(Path.GetFullPath(files[0]))!, variant, label, classes);
        return new Dataset(new ByteMatrix(pixels, (int)records, ImageBytes), labels, names,
            image: new ImageShape(32, 32, 3, ChannelPlanar: true), name: Path.GetFileName(files[0]));
    }

    /// <summary>The batch files of one split in a directory, in their standard order.</summary>
    private static string[] FindBatches(string directory, CifarVariant variant, DataSplit split)
    {
        string[] names = (variant, split) switch
        {
            (CifarVariant.Cifar10, DataSplit.Train) => Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray(),
            (CifarVariant.Cifar10, _) => ["test_batch.bin"],
            (_, DataSplit.Train) => ["train.bin"],
            _ => ["test.bin"],
        };
        string sub = variant == CifarVariant.Cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary";
        foreach (var dir in new[] { directory, Path.Combine(directory, sub) })
        {
            var found = names.Select(n => Path.Combine(dir, n)).Where(File.Exists).ToArray();
            if (found.Length > 0) return found;
        }
        throw new DataFormatException(directory, null,
            $"expected CIFAR {split.ToString().ToLowerInvariant()} batches ({string.Join(", ", names)}), found none in the directory or its {sub} subfolder");
    }

    private static IReadOnlyList<string> ClassNames(string directory, CifarVariant variant, CifarLabel label, int classes)
    {
        string file = variant == CifarVariant.Cifar10 ? "batches.meta.txt"
            : label == CifarLabel.Fine ? "fine_label_names.txt" : "coarse_label_names.txt";
        string path = Path.Combine(directory, file);
        if (File.Exists(path))
        {
            var names = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (names.Length == classes && names.Distinct(StringComparer.Ordinal).Count() == classes) return names;
        }
        if (variant == CifarVariant.Cifar10) return Cifar10ClassNames;
        return Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}

using Softmax.Data;

namespace Softmax.Streaming;

/// <summary>
/// <see cref="Dataset.Split"/>'s stratified validation split of a packed file, without loading the file: the labels
/// are read once, the held-out rows come into memory (the validation rows every worker scores alike) and the training
/// rows are written, in file order, to a packed file of their own. Streaming that file visits the rows of the
/// in-memory run's training split in the same order.
/// </summary>
public static class PackedSplit
{
    /// <summary>Rows read at a time.</summary>
    private const int Step = 16384;

    /// <summary>The training and held-out row indices, as <see cref="Dataset.Split"/> chooses them for the file's labels.</summary>
    public static (int[] Train, int[] Holdout) Indices(PackedDataset file, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(file);
        var labels = new int[file.Rows];
        for (int start = 0; start < file.Rows; start += Step)
        {
            int at = start;
            file.Read(start, Math.Min(Step, file.Rows - start), (_, l, _) => l.CopyTo(labels.AsSpan(at)));
        }
        return Dataset.StratifiedSplit(labels, file.Classes, fraction, seed);
    }

    /// <summary>The listed rows (ascending) in memory.</summary>
    public static Dataset Load(PackedDataset file, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(rows);
        var h = file.Header;
        var bytes = new byte[rows.Count * h.RowBytes];
        var labels = new int[rows.Count];
        var weights = h.HasSampleWeights ? new float[rows.Count] : [];
        int k = 0;
        ForEach(file, rows, (row, label, weight) =>
        {
            row.CopyTo(bytes.AsSpan((int)(k * h.RowBytes)));
            labels[k] = label;
            if (!weight.IsEmpty) weights[k] = weight[0];
            k++;
        });
        return PackedDataset.Build(h, bytes, labels, weights);
    }

    /// <summary>Writes the listed rows (ascending), in order, to a new packed file at <paramref name="path"/> (temporary file, then rename).</summary>
    public static PackedHeader Pack(PackedDataset file, IReadOnlyList<int> rows, string path, PackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(rows);
        var h = file.Header;
        using var writer = new PackedDatasetWriter(path, h.Features, h.ClassNames, h.ElementType, h.Scale, h.HasSampleWeights, h.Image, h.Name, options);
        var label = new int[1];
        ForEach(file, rows, (row, y, weight) =>
        {
            label[0] = y;
            if (h.ElementType == PackedElementType.UInt8) writer.Append(row, label, weight);
            else writer.Append(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(row), label, weight);
        });
        return writer.Complete();
    }

    /// <summary>Visits the listed rows (ascending) in order, reading the file in steps: each row's bytes, label and weight (empty when absent).</summary>
    private static void ForEach(PackedDataset file, IReadOnlyList<int> rows, Action<ReadOnlySpan<byte>, int, ReadOnlySpan<float>> visit)
    {
        int rowBytes = (int)file.Header.RowBytes, next = 0;
        for (int start = 0; start < file.Rows && next < rows.Count; start += Step)
        {
            int count = Math.Min(Step, file.Rows - start), at = start;
            file.Read(start, count, (bytes, labels, weights) =>
            {
                for (; next < rows.Count && rows[next] < at + count; next++)
                {
                    int i = rows[next] - at;
                    if (i < 0) throw new ArgumentException("The rows must be ascending.", nameof(rows));
                    visit(bytes.Slice(i * rowBytes, rowBytes), labels[i], weights.IsEmpty ? default : weights.Slice(i, 1));
                }
            });
        }
        if (next < rows.Count) throw new ArgumentOutOfRangeException(nameof(rows), $"Row {rows[next]} is outside the {file.Rows} rows of {file.Path}.");
    }
}

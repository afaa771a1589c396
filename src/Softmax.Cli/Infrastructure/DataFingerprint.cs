using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Streaming;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// What a checkpoint records of the rows it was trained on, so a resume against other data (the same path holding
/// a file with one more column, or different rows) is refused with the reason instead of padding old weights.
/// <c>data.rows</c>, <c>data.features</c>, <c>data.classes</c> and <c>data.hash</c> (XxHash64 of every decoded
/// row, label and class name: a content hash, so a file re-compressed or moved still matches) are compared;
/// <c>data.file_bytes</c> is recorded to help explain a mismatch.
/// </summary>
public static class DataFingerprint
{
    /// <summary>The fingerprint of <paramref name="data"/>, read from <paramref name="path"/> when it is a file.</summary>
    public static Dictionary<string, string> Of(Dataset data, string? path) =>
        Print(data.Rows, data.FeatureCount, data.ClassNames.Count, ContentHash(data).ToString("x16", CultureInfo.InvariantCulture), path);

    /// <summary>
    /// The fingerprint of a packed file without reading its rows: its shape and the checksum that ends it (XxHash64
    /// of the header and of every chunk's row, label and weight hashes, checked when the file was opened), so a
    /// streamed or distributed resume costs no pass over the data. <paramref name="path"/> (the --data file, which
    /// may be the source the packed cache was made from) supplies <c>data.file_bytes</c>.
    /// </summary>
    public static Dictionary<string, string> OfPacked(PackedDataset file, string? path)
    {
        ArgumentNullException.ThrowIfNull(file);
        Span<byte> tail = stackalloc byte[8];
        using (var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
        {
            stream.Seek(-tail.Length, SeekOrigin.End);
            stream.ReadExactly(tail);
        }
        return Print(file.Rows, file.Features, file.Classes, "smxp:" + BitConverter.ToUInt64(tail).ToString("x16", CultureInfo.InvariantCulture), path);
    }

    private static Dictionary<string, string> Print(long rows, long features, long classes, string hash, string? path)
    {
        var print = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["data.rows"] = Ui.I(rows), ["data.features"] = Ui.I(features), ["data.classes"] = Ui.I(classes), ["data.hash"] = hash,
        };
        if (path is not null && File.Exists(path)) print["data.file_bytes"] = Ui.I(new FileInfo(path).Length);
        return print;
    }

    /// <summary>True for the keys a resume must match (the file size is only informative).</summary>
    public static bool MustMatch(string key) => key.StartsWith("data.", StringComparison.Ordinal) && key != "data.file_bytes";

    private static ulong ContentHash(Dataset data)
    {
        var hash = new XxHash64();
        var row = new float[data.FeatureCount];
        for (int i = 0; i < data.Rows; i++)
        {
            data.Features.CopyRow(i, row);
            hash.Append(MemoryMarshal.AsBytes(row.AsSpan()));
        }
        hash.Append(MemoryMarshal.AsBytes(data.Labels.AsSpan()));
        foreach (var name in data.ClassNames) hash.Append(System.Text.Encoding.UTF8.GetBytes(name + "\0"));
        return hash.GetCurrentHashAsUInt64();
    }
}

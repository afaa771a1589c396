using System.IO.Compression;

namespace Softmax.Data;

/// <summary>Opening files for the readers: gzip detection by magic bytes, large buffers, size bounds.</summary>
internal static class DataFiles
{
    /// <summary>Buffer size for sequential reads.</summary>
    public const int BufferSize = 1 << 20;

    /// <summary>
    /// Deflate cannot expand data by more than about 1032:1, so a gzip file of n bytes decodes to at most this many.
    /// Used to reject headers that claim more data than the file could hold before anything is allocated.
    /// </summary>
    public static long MaxDecodedLength(long compressedLength) => compressedLength * 1032L + 1024;

    /// <summary>True when the file starts with the gzip magic 1f 8b.</summary>
    public static bool IsGzip(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        Span<byte> magic = stackalloc byte[2];
        return fs.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>
    /// Opens a file for sequential reading, decompressing gzip transparently. <paramref name="bound"/> is the
    /// most bytes the decoded stream can hold (exact for raw files, the deflate bound for gzip).
    /// </summary>
    public static Stream Open(string path, out long bound, out bool compressed)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No such file: {path}", path);
        compressed = IsGzip(path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, compressed ? 1 << 16 : BufferSize,
            FileOptions.SequentialScan);
        bound = compressed ? MaxDecodedLength(fs.Length) : fs.Length;
        return compressed ? new BufferedStream(new GZipStream(fs, CompressionMode.Decompress), BufferSize) : fs;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or returns how many were available.</summary>
    public static int ReadFully(Stream s, Span<byte> buffer) => s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    /// <summary>Wraps stream failures from corrupt compressed data as format errors.</summary>
    public static DataFormatException Corrupt(string path, Exception e) =>
        new(path, null, $"the compressed data is corrupt ({e.Message})", e);
}

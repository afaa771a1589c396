using System.IO.Compression;

namespace Softmax.Data;

/// <summary>Opening files for the readers: gzip detection by magic bytes, large buffers, size bounds.</summary>
internal static class DataFiles
{
    /// <summary>Buffer size for sequential reads.</summary>
    public const int BufferSize = 1 << 20;

    /// <summary>The longest text record (line, or quoted multi-line CSV record) a reader accepts: 64 MiB.</summary>
    public const int MaxRecordBytes = 64 << 20;

    /// <summary>The largest decompressed size a gzip file may have, as a multiple of its own size …</summary>
    public const int MaxExpansion = 512;

    /// <summary>… but never less than this (256 MiB), so small files of very regular data still read.</summary>
    public const long MinDecodedBound = 256L << 20;

    /// <summary>
    /// The most bytes a gzip file of <paramref name="compressedLength"/> bytes may decode to: <see cref="MaxExpansion"/>
    /// times its size, at least <see cref="MinDecodedBound"/>. Real data compress far less (text 3–20×); a file
    /// beyond it is refused as a decompression bomb. Headers claiming more are refused before anything is allocated.
    /// </summary>
    public static long MaxDecodedLength(long compressedLength) => Math.Max(MinDecodedBound, compressedLength * MaxExpansion);

    /// <summary>
    /// Opens a regular file for reading. A directory, a pipe or socket (they cannot be read twice or measured) and a
    /// missing file are refused with the path; so is a file the process may not read.
    /// </summary>
    public static FileStream OpenRegular(string path, int bufferSize)
    {
        if (Directory.Exists(path)) throw new DataFormatException(path, null, "expected a data file, found a directory");
        if (!File.Exists(path)) throw new FileNotFoundException($"No such file: {path}", path);
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan); }
        catch (UnauthorizedAccessException e) { throw new DataFormatException(path, null, "cannot be read: permission denied", e); }
        if (!fs.CanSeek)
        {
            fs.Dispose();
            throw new DataFormatException(path, null,
                "expected a regular file, found a pipe, socket or terminal (readers measure the file and read it more than once); save it to a file first");
        }
        return fs;
    }

    /// <summary>Opens <paramref name="path"/> through <see cref="Open"/> on each call, for the readers that read a file more than once; a missing file fails now.</summary>
    public static Func<Stream> Opener(string path) =>
        File.Exists(path) ? () => Open(path, out _, out _) : throw new FileNotFoundException($"No such file: {path}", path);

    /// <summary>True when the file starts with the gzip magic 1f 8b.</summary>
    private static bool IsGzip(FileStream fs)
    {
        Span<byte> magic = stackalloc byte[2];
        bool gzip = fs.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        fs.Position = 0;
        return gzip;
    }

    /// <summary>
    /// Opens a file for sequential reading, decompressing gzip transparently, through a <see cref="DataFileStream"/>
    /// (bounds, gzip trailer check, errors that name the file). <paramref name="bound"/> is the most bytes the decoded
    /// stream will yield (a raw file's length, the ratio bound for gzip).
    /// </summary>
    public static Stream Open(string path, out long bound, out bool compressed)
    {
        var fs = OpenRegular(path, 1 << 16);
        try
        {
            compressed = IsGzip(fs);
            bound = compressed ? MaxDecodedLength(fs.Length) : fs.Length;
            Stream inner = compressed ? new BufferedStream(new GZipStream(fs, CompressionMode.Decompress, leaveOpen: true), BufferSize) : fs;
            return new DataFileStream(inner, fs, path, bound, compressed);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or returns how many were available.</summary>
    public static int ReadFully(Stream s, Span<byte> buffer) => s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
}

using System.Buffers.Binary;
using System.IO.Hashing;

namespace Softmax.Data;

/// <summary>
/// The stream every reader reads a data file through (<see cref="DataFiles.Open"/>): it names the file in every
/// error, refuses to yield more than <see cref="Limit"/> bytes (a raw file: its length when opened, so a device or a
/// growing file cannot feed a reader forever; gzip: the ratio bound <see cref="DataFiles.MaxDecodedLength"/>), turns
/// corrupt deflate data into a <see cref="DataFormatException"/>, and for gzip checks the CRC-32 and length trailer
/// when the data end, so a truncated or bit-flipped file is an input error, never a silent short read.
/// </summary>
internal sealed class DataFileStream(Stream inner, FileStream file, string path, long limit, bool gzip) : Stream
{
    private readonly Crc32? _crc = gzip ? new Crc32() : null;
    private long _position;
    private bool _ended;

    /// <summary>The file, for errors.</summary>
    public string Path { get; } = path;

    /// <summary>The most bytes this stream yields before it refuses the file.</summary>
    public long Limit { get; } = limit;

    public override int Read(Span<byte> buffer)
    {
        if (_ended || buffer.IsEmpty) return 0;
        int n;
        try { n = inner.Read(buffer); }
        catch (InvalidDataException e) { throw new DataFormatException(Path, null, $"the compressed data is corrupt ({e.Message})", e); }
        if (n == 0)
        {
            _ended = true;
            if (_crc is not null) CheckTrailer();
            return 0;
        }
        _position += n;
        if (_position > Limit) throw TooLong();
        _crc?.Append(buffer[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private DataFormatException TooLong() => _crc is null
        ? new DataFormatException(Path, null, $"yields more than the {Limit} bytes it had when opened: not a regular file, or it grew while being read")
        : new DataFormatException(Path, null,
            $"decompresses to more than {Limit} bytes ({DataFiles.MaxExpansion}× its {file.Length} compressed bytes, and at least " +
            $"{DataFiles.MinDecodedBound >> 20} MiB): refused as a decompression bomb; gunzip it yourself to read it anyway");

    /// <summary>The gzip trailer (CRC-32 and length mod 2³², little-endian) is the file's last 8 bytes.</summary>
    private void CheckTrailer()
    {
        Span<byte> trailer = stackalloc byte[8];
        long length = file.Length;
        int got = length >= 8 ? RandomAccess.Read(file.SafeFileHandle, trailer, length - 8) : 0;
        uint crc = _crc!.GetCurrentHashAsUInt32(), size = unchecked((uint)_position);
        if (got == 8 && BinaryPrimitives.ReadUInt32LittleEndian(trailer) == crc && BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) == size)
            return;
        throw new DataFormatException(Path, null,
            $"the gzip data are truncated or corrupt: {_position} bytes decoded with CRC-32 {crc:X8}, but the file's trailer says " +
            (got == 8 ? $"{BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..])} bytes with CRC-32 {BinaryPrimitives.ReadUInt32LittleEndian(trailer):X8}" : "nothing (shorter than a trailer)") +
            " (a file cut short, damaged, or several gzip members concatenated, which is not supported)");
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            file.Dispose();
        }
        base.Dispose(disposing);
    }
}

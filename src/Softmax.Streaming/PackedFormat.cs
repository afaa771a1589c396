using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Softmax.Data;

namespace Softmax.Streaming;

/// <summary>How a packed file stores feature values.</summary>
public enum PackedElementType : byte
{
    /// <summary>One byte per value (raw pixels); the reader multiplies by the header's scale.</summary>
    UInt8 = 0,
    /// <summary>IEEE-754 float32, little-endian.</summary>
    Float32 = 1,
}

/// <summary>
/// The header of a packed row cache (<c>.smxp</c>). All values little-endian; strings are a uint32 byte count then UTF-8.
/// <code>
/// offset  type        field
/// 0       4 bytes     magic "SMXP" (uint32 0x50584D53)
/// 4       uint32      format version (1)
/// 8       int64       N, rows
/// 16      int32       D, features
/// 20      int32       C, classes
/// 24      uint8       element type (0 uint8, 1 float32)
/// 25      uint8       flags (bit 0: per-row sample weights present)
/// 26      uint16      reserved (0)
/// 28      f32         scale (x = stored value · scale; 1 for float32)
/// 32      int32       chunk rows R (the unit of checksumming)
/// 36      int32       header bytes H (a multiple of 4096: the row section starts page-aligned)
///         C × string  class names
///         uint8       image shape: 0 absent; 1 present, then int32 height, int32 width, int32 channels, uint8 planar;
///                     2 the same followed by f32 declared range (ImageShape.MaxValue, e.g. 16 for digits)
///         uint8       name present (0/1); then string
///         zeros up to H
/// H       N·D·size    rows, row-major, unpadded
///         N × int32   labels 0..C−1
///         N × f32     sample weights (only when flag bit 0)
///         K × 3 × u64 per chunk k of R rows (K = ⌈N/R⌉): XxHash64 of its row bytes, of its label bytes, of its
///                     weight bytes (0 when absent)
///         uint64      XxHash64 of the header bytes [0, H) followed by the chunk table
/// </code>
/// The file ends right after the last checksum. A reader checks the header and table checksum when it opens the file and
/// each chunk's checksums the first time it reads that chunk, so corruption is reported at the block that holds it
/// without a separate full pass.
/// </summary>
public sealed record PackedHeader(long Rows, int Features, IReadOnlyList<string> ClassNames, PackedElementType ElementType,
    float Scale, bool HasSampleWeights, int ChunkRows, ImageShape? Image, string? Name)
{
    /// <summary>"SMXP" read as a little-endian uint32.</summary>
    public const uint Magic = 0x50584D53;

    /// <summary>The format version this build writes and reads.</summary>
    public const int Version = 1;

    internal const int FixedBytes = 40;

    /// <summary>The chunk table and row data are read and written in the host's byte order: refuse big-endian hosts.</summary>
    internal static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Packed files are read and written on little-endian hosts only.");
    }
    internal const int Alignment = 4096;

    /// <summary>Number of classes C.</summary>
    public int Classes => ClassNames.Count;

    /// <summary>Bytes per stored row.</summary>
    public long RowBytes => (long)Features * (ElementType == PackedElementType.UInt8 ? 1 : 4);

    /// <summary>Number of checksummed chunks.</summary>
    public long ChunkCount => (Rows + ChunkRows - 1) / ChunkRows;

    internal long HeaderBytes { get; init; }
    internal long RowsOffset => HeaderBytes;
    internal long LabelsOffset => RowsOffset + Rows * RowBytes;
    internal long WeightsOffset => LabelsOffset + Rows * sizeof(int);
    internal long TableOffset => WeightsOffset + (HasSampleWeights ? Rows * sizeof(float) : 0);
    internal long FileBytes => TableOffset + ChunkCount * 24 + sizeof(ulong);

    /// <summary>The header bytes, padded with zeros to a multiple of 4096.</summary>
    internal byte[] Serialize()
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write((uint)Version);
            w.Write(Rows);
            w.Write(Features);
            w.Write(Classes);
            w.Write((byte)ElementType);
            w.Write((byte)(HasSampleWeights ? 1 : 0));
            w.Write((ushort)0);
            w.Write(Scale);
            w.Write(ChunkRows);
            w.Write(0); // header bytes, patched below
            foreach (var name in ClassNames) WriteString(w, name);
            w.Write((byte)(Image is null ? 0 : Image.MaxValue is null ? 1 : 2));
            if (Image is { } image)
            {
                w.Write(image.Height);
                w.Write(image.Width);
                w.Write(image.Channels);
                w.Write((byte)(image.ChannelPlanar ? 1 : 0));
                if (image.MaxValue is { } max) w.Write(max);
            }
            w.Write((byte)(Name is null ? 0 : 1));
            if (Name is not null) WriteString(w, Name);
        }
        long length = (buffer.Length + Alignment - 1) / Alignment * Alignment;
        var bytes = new byte[length];
        buffer.ToArray().CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(36), (int)length);
        return bytes;
    }

    /// <summary>Parses and checks a header; <paramref name="file"/> names the file in errors.</summary>
    internal static PackedHeader Parse(ReadOnlySpan<byte> fixedPart, Stream rest, string file)
    {
        if (fixedPart.Length < FixedBytes) throw new PackedFormatException(file, 0, $"a header of {FixedBytes} bytes", $"{fixedPart.Length} bytes");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart);
        if (magic != Magic) throw new PackedFormatException(file, 0, "magic \"SMXP\" (0x50584D53)", $"0x{magic:X8}");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[4..]);
        if (version != Version) throw new PackedFormatException(file, 4, $"format version {Version}", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        long rows = BinaryPrimitives.ReadInt64LittleEndian(fixedPart[8..]);
        int features = BinaryPrimitives.ReadInt32LittleEndian(fixedPart[16..]);
        int classes = BinaryPrimitives.ReadInt32LittleEndian(fixedPart[20..]);
        byte type = fixedPart[24], flags = fixedPart[25];
        float scale = BinaryPrimitives.ReadSingleLittleEndian(fixedPart[28..]);
        int chunkRows = BinaryPrimitives.ReadInt32LittleEndian(fixedPart[32..]);
        int headerBytes = BinaryPrimitives.ReadInt32LittleEndian(fixedPart[36..]);
        if (rows < 0 || rows > int.MaxValue) throw new PackedFormatException(file, 8, "a row count in 0..2^31−1", rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (features < 1) throw new PackedFormatException(file, 16, "at least one feature", features.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (classes < 1) throw new PackedFormatException(file, 20, "at least one class", classes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (type > 1) throw new PackedFormatException(file, 24, "element type 0 (uint8) or 1 (float32)", type.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!float.IsFinite(scale)) throw new PackedFormatException(file, 28, "a finite scale", scale.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (chunkRows < 1) throw new PackedFormatException(file, 32, "chunk rows ≥ 1", chunkRows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (headerBytes < FixedBytes || headerBytes % Alignment != 0) throw new PackedFormatException(file, 36, "a header length that is a multiple of 4096", headerBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var r = new BinaryReader(rest, Encoding.UTF8, leaveOpen: true);
        var names = new string[classes];
        for (int c = 0; c < classes; c++) names[c] = ReadString(r, file);
        ImageShape? image = null;
        byte imageTag = r.ReadByte();
        if (imageTag is 1 or 2) image = new ImageShape(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadByte() == 1);
        if (imageTag == 2) image = image! with { MaxValue = r.ReadSingle() };
        string? name = r.ReadByte() == 1 ? ReadString(r, file) : null;
        return new PackedHeader(rows, features, names, (PackedElementType)type, scale, (flags & 1) != 0, chunkRows, image, name) { HeaderBytes = headerBytes };
    }

    /// <summary>The file's last 8 bytes: XxHash64 of the header bytes followed by the chunk table.</summary>
    internal static ulong Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> table)
    {
        var hash = new XxHash64();
        hash.Append(header);
        hash.Append(table);
        return hash.GetCurrentHashAsUInt64();
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((uint)bytes.Length);
        w.Write(bytes);
    }

    private static string ReadString(BinaryReader r, string file)
    {
        uint length = r.ReadUInt32();
        if (length > 1 << 20) throw new PackedFormatException(file, r.BaseStream.Position - 4, "a string of at most 1 MiB", $"{length} bytes");
        return Encoding.UTF8.GetString(r.ReadBytes((int)length));
    }
}

/// <summary>A packed file that is not what the format says: names the file, the byte offset, what was expected and found.</summary>
public sealed class PackedFormatException(string file, long offset, string expected, string found)
    : Exception($"{file}: at byte {offset}: expected {expected}, found {found}.");

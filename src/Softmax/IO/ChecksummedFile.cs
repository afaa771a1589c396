using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Softmax.IO;

/// <summary>
/// The framing shared by Softmax's binary files (models, training checkpoints): a body written little-endian through a
/// <see cref="BinaryWriter"/> (UTF-8 strings), then the XxHash64 (seed 0) of every byte before it as a little-endian
/// uint64. The file ends right after the checksum; each format's own magic and version open its body.
/// </summary>
public static class ChecksummedFile
{
    /// <summary>Bytes of the trailing checksum.</summary>
    public const int ChecksumBytes = 8;

    /// <summary>The body <paramref name="writeBody"/> writes, followed by its checksum.</summary>
    public static byte[] Frame(Action<BinaryWriter> writeBody)
    {
        ArgumentNullException.ThrowIfNull(writeBody);
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) writeBody(w);
        Span<byte> tail = stackalloc byte[ChecksumBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(tail, XxHash64.HashToUInt64(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        buffer.Write(tail);
        return buffer.ToArray();
    }

    /// <summary>
    /// True when the last <see cref="ChecksumBytes"/> of <paramref name="file"/> (at least that long) are the checksum of
    /// the bytes before them; <paramref name="stored"/> and <paramref name="computed"/> are the two, for messages.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> file, out ulong stored, out ulong computed)
    {
        if (file.Length < ChecksumBytes) throw new ArgumentException($"{file.Length} bytes cannot hold a checksum.", nameof(file));
        int body = file.Length - ChecksumBytes;
        stored = BinaryPrimitives.ReadUInt64LittleEndian(file[body..]);
        computed = XxHash64.HashToUInt64(file[..body]);
        return stored == computed;
    }

    /// <summary>
    /// <paramref name="head"/> (already read from <paramref name="stream"/>) and the rest of the stream, in one buffer
    /// (no copy of it); null, with no more than <paramref name="maxBytes"/> + 64 KiB read, when they come to more than
    /// <paramref name="maxBytes"/>, so an endless stream ends at once.
    /// </summary>
    public static ArraySegment<byte>? ReadAtMost(Stream stream, ReadOnlySpan<byte> head, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var copy = new MemoryStream();   // not disposed: its buffer is the result
        copy.Write(head);
        var chunk = new byte[1 << 16];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            if (copy.Length + n > maxBytes) return null;
            copy.Write(chunk, 0, n);
        }
        return new ArraySegment<byte>(copy.GetBuffer(), 0, (int)copy.Length);
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Softmax.IO;

public static partial class ModelFile
{
    /// <summary>A bounds-checked little-endian cursor: every length is checked against the bytes left before use.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, string name)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private readonly string _name = name;

        public int Position { get; private set; }

        public readonly long Remaining => _bytes.Length - Position;

        public readonly ModelFormatException Invalid(string problem) => new(_name, $"invalid at byte {Position}: {problem}");

        public readonly void Need(long count, string what)
        {
            if (count > Remaining)
                throw new ModelFormatException(_name,
                    $"truncated: {what} need {count} bytes at offset {Position}, but only {Remaining} remain (file length {_bytes.Length})");
        }

        private ReadOnlySpan<byte> Take(long count, string what)
        {
            Need(count, what);
            var span = _bytes.Slice(Position, (int)count);
            Position += (int)count;
            return span;
        }

        public byte Byte(string what) => Take(1, what)[0];

        public bool Flag(string what) => Byte(what) switch
        {
            0 => false,
            1 => true,
            var b => throw Invalid($"{what} is {b}, expected 0 or 1"),
        };

        public int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

        public float Single(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));

        public double Double(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

        public string String(string what)
        {
            uint length = UInt32(what + " (length)");
            var raw = Take(length, what);
            try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(raw); }
            catch (DecoderFallbackException) { throw Invalid($"{what} is not valid UTF-8"); }
        }

        // The file is little-endian, as every platform .NET runs on: the bytes are the values.
        public double[] Doubles(long count, string what) => MemoryMarshal.Cast<byte, double>(Take(count * 8, what)).ToArray();

        public float[]? OptionalFloats(int features, string what)
        {
            int length = Int32(what + " (length)");
            if (length == -1) return null;
            if (length != features) throw Invalid($"{what} has {length} values; the model has {features} features");
            return MemoryMarshal.Cast<byte, float>(Take((long)length * 4, what)).ToArray();
        }
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Softmax.TestSupport;

/// <summary>
/// Writes C-order .npy files (format 1.0; 2.0 when the header needs it) of float32, uint8 or int32: fixtures for the
/// reader tests and benchmarks (the library reads .npy, it never writes it).
/// </summary>
public static class NpyWriter
{
    /// <summary>Writes float32 values ('&lt;f4') of the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, params ReadOnlySpan<int> shape) =>
        Write(path, "<f4", MemoryMarshal.AsBytes(values), values.Length, shape);

    /// <summary>Writes uint8 values ('|u1') of the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<byte> values, params ReadOnlySpan<int> shape) =>
        Write(path, "|u1", values, values.Length, shape);

    /// <summary>Writes int32 values ('&lt;i4') of the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<int> values, params ReadOnlySpan<int> shape) =>
        Write(path, "<i4", MemoryMarshal.AsBytes(values), values.Length, shape);

    private static void Write(string path, string descr, ReadOnlySpan<byte> data, int count, ReadOnlySpan<int> shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("NpyWriter writes little-endian data only.");
        long product = 1;
        foreach (int d in shape) { ArgumentOutOfRangeException.ThrowIfNegative(d); product *= d; }
        if (product != count) throw new ArgumentException($"Shape ({string.Join(", ", shape.ToArray())}) holds {product} values, got {count}.");
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int prefix = 10;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        bool v2 = total - prefix > ushort.MaxValue;
        if (v2) { prefix = 12; total = (prefix + dict.Length + 1 + 63) / 64 * 64; }
        string header = dict.PadRight(total - prefix - 1) + "\n";
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        fs.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        fs.WriteByte(v2 ? (byte)2 : (byte)1);
        fs.WriteByte(0);
        Span<byte> length = stackalloc byte[4];
        BitConverter.TryWriteBytes(length, header.Length);
        fs.Write(length[..(v2 ? 4 : 2)]);
        fs.Write(Encoding.Latin1.GetBytes(header));
        fs.Write(data);
    }
}

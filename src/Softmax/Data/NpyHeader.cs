using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Softmax.Data;

/// <summary>The parsed header of a .npy file (format versions 1, 2 and 3).</summary>
internal sealed partial record NpyHeader(string Descr, long[] Shape, long DataOffset)
{
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Bytes per element of the supported dtypes.</summary>
    public int ItemSize => Descr switch { "|u1" or "<u1" or "|i1" => 1, "<f4" or "<i4" => 4, _ => 8 };

    public long Count => Shape.Aggregate(1L, (n, d) => n * d);

    /// <summary>The shape as NumPy prints it, without the parentheses: "60000, 784".</summary>
    public string ShapeText => string.Join(", ", Shape);

    /// <summary>Reads and validates the header; the stream is left at the first data byte.</summary>
    public static NpyHeader Read(Stream stream, string path, long fileLength)
    {
        Span<byte> pre = stackalloc byte[12];
        int got = DataFiles.ReadFully(stream, pre[..10]);
        if (got == 0) throw new DataFormatException(path, null, "expected a .npy file, found an empty file");
        if (got < 10 || !pre[..6].SequenceEqual(Magic))
            throw new DataFormatException(path, null, $"expected the .npy magic \\x93NUMPY, found {Convert.ToHexString(pre[..Math.Min(got, 6)])}");
        int major = pre[6];
        long headerLength;
        int prefix;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]); prefix = 10; }
        else if (major is 2 or 3)
        {
            if (DataFiles.ReadFully(stream, pre[10..12]) < 2) throw new DataFormatException(path, null, "truncated header");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
            prefix = 12;
        }
        else throw new DataFormatException(path, null, $"expected .npy format version 1, 2 or 3, found {major}.{pre[7]}");
        if (prefix + headerLength > fileLength || headerLength > 1 << 20)
            throw new DataFormatException(path, null, $"truncated: the header claims {headerLength} bytes, the file has {fileLength}");
        var bytes = new byte[headerLength];
        if (DataFiles.ReadFully(stream, bytes) < headerLength) throw new DataFormatException(path, null, "truncated header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes);
        return Parse(text, path, prefix + headerLength);
    }

    private static NpyHeader Parse(string text, string path, long offset)
    {
        var descr = DescrPattern().Match(text);
        var fortran = FortranPattern().Match(text);
        var shape = ShapePattern().Match(text);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new DataFormatException(path, null, $"expected a header dict with 'descr', 'fortran_order' and 'shape', found {text.Trim()}");
        if (fortran.Groups[1].Value == "True")
            throw new DataFormatException(path, null, "expected C-order data (fortran_order False), found fortran_order True; save with np.ascontiguousarray");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new long[dims.Length];
        for (int i = 0; i < dims.Length; i++)
            if (!long.TryParse(dims[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] > int.MaxValue)
                throw new DataFormatException(path, null, $"expected non-negative integer dimensions, found shape ({shape.Groups[1].Value})");
        // The element count, checked: a shape whose product wraps modulo 2⁶⁴ must not pass for a small one.
        long count = 1;
        foreach (var v in values)
            if (v != 0 && count > long.MaxValue / 8 / v)
                throw new DataFormatException(path, null, $"shape ({shape.Groups[1].Value}) has more elements than any file can hold");
            else count *= v;
        return new NpyHeader(descr.Groups[1].Value, values, offset);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}

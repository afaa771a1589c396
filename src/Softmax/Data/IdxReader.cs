using System.Buffers.Binary;
using System.Globalization;

namespace Softmax.Data;

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST, EMNIST), raw or gzip-compressed (detected by the magic bytes 1f 8b).
/// Header: big-endian magic 0x00000801 (labels, one dimension) or 0x00000803 (images, three dimensions), then
/// one big-endian int32 size per dimension, then the unsigned bytes.
/// </summary>
public static class IdxReader
{
    private const int LabelMagic = 0x00000801;
    private const int ImageMagic = 0x00000803;

    /// <summary>
    /// Reads an images file and its labels file into a <see cref="ByteMatrix"/> (scale 1; preprocessing decides the
    /// scaling) with class names "0".."9" (or up to the largest label) and a one-channel <see cref="ImageShape"/>.
    /// </summary>
    public static Dataset ReadPair(string imagesPath, string labelsPath)
    {
        var (pixels, count, height, width) = ReadImages(imagesPath);
        var labelBytes = ReadLabels(labelsPath);
        if (labelBytes.Length != count)
            throw new DataFormatException(labelsPath, null,
                $"expected {count} labels to match the {count} images in {imagesPath}, found {labelBytes.Length}");
        var labels = Array.ConvertAll(labelBytes, b => (int)b);
        var names = Enumerable.Range(0, Math.Max(10, labels.Max() + 1)).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new Dataset(new ByteMatrix(pixels, count, height * width), labels, names,
            image: new ImageShape(height, width, 1), name: Path.GetFileName(imagesPath));
    }

    /// <summary>Reads an idx3 images file: row-major pixels of <c>Count</c> images of <c>Height</c> × <c>Width</c>.</summary>
    public static (byte[] Pixels, int Count, int Height, int Width) ReadImages(string path)
    {
        var (data, dims) = Read(path, ImageMagic, 3, "images");
        return (data, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads an idx1 labels file.</summary>
    public static byte[] ReadLabels(string path) => Read(path, LabelMagic, 1, "labels").Data;

    /// <summary>The header and data of an IDX file; corrupt gzip data fail in <see cref="DataFileStream"/>, naming the file.</summary>
    private static (byte[] Data, int[] Dims) Read(string path, int expectedMagic, int rank, string what)
    {
        using var stream = DataFiles.Open(path, out long bound, out bool compressed);
        int headerLength = 4 + 4 * rank;
        Span<byte> header = stackalloc byte[headerLength];
        int got = DataFiles.ReadFully(stream, header);
        if (got == 0) throw new DataFormatException(path, null, $"expected an IDX {what} file, found an empty file");
        if (got < 4) throw new DataFormatException(path, null, $"expected a 4-byte IDX magic number, found only {got} bytes");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
            throw new DataFormatException(path, null,
                $"expected IDX {what} magic 0x{expectedMagic:X8} (unsigned bytes, {rank} dimension{(rank > 1 ? "s" : "")}), found 0x{magic:X8}");
        if (got < headerLength)
            throw new DataFormatException(path, null, $"truncated header: expected {headerLength} bytes, found {got}");
        var dims = new int[rank];
        long total = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * d)..]);
            if (dims[d] <= 0) throw new DataFormatException(path, null, $"dimension {d} must be positive, found {dims[d]}");
            total *= dims[d];
            if (total > Array.MaxLength) throw new DataFormatException(path, null, $"the header claims more than {Array.MaxLength} bytes of {what}");
        }
        long available = bound - headerLength;
        if (total > available)
        {
            string found = compressed ? $"a compressed file that can hold at most {available} bytes" : $"{available} bytes";
            throw new DataFormatException(path, null,
                $"truncated: the header claims {dims[0]} {what} ({total} bytes), found {found}");
        }
        if (!compressed && total < available)
            throw new DataFormatException(path, null, $"expected {total} bytes of {what} after the header, found {available} (trailing data)");
        var data = GC.AllocateUninitializedArray<byte>((int)total);
        int read = DataFiles.ReadFully(stream, data);
        if (read < total)
        {
            long perItem = total / dims[0];
            throw new DataFormatException(path, read / perItem + 1,
                $"truncated: expected {dims[0]} {what} ({total} bytes), the data end after {read} bytes");
        }
        if (compressed && stream.ReadByte() >= 0)
            throw new DataFormatException(path, null, $"expected {total} bytes of {what} after the header, found trailing data");
        return (data, dims);
    }
}

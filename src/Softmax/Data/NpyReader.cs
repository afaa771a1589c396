using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Softmax.Data;

/// <summary>
/// Reads NumPy .npy arrays (format 1, 2, 3; C order). Features: '&lt;f4', '&lt;f8' (into a <see cref="DenseMatrix"/>)
/// or '|u1' (into a <see cref="ByteMatrix"/>), shape (N, D) or images (N, H, W). Labels: a vector of '&lt;i4', '&lt;i8',
/// '|u1' or integral floats, mapped to classes in numeric order. Data are read straight into the final buffers.
/// </summary>
public static class NpyReader
{
    /// <summary>Reads a feature array and a label vector with one label per row.</summary>
    public static Dataset Read(string featuresPath, string labelsPath)
    {
        using var fs = OpenChecked(featuresPath, out var header);
        if (header.Shape.Length < 2)
            throw new DataFormatException(featuresPath, null, $"expected features of shape (rows, columns...), found shape ({header.ShapeText})");
        int rows = (int)header.Shape[0];
        long columns = header.Count / Math.Max(1, rows);
        if (columns > int.MaxValue || rows == 0 || columns == 0)
            throw new DataFormatException(featuresPath, null, $"expected a non-empty feature array, found shape ({header.ShapeText})");
        var features = ReadMatrix(fs, featuresPath, header, rows, (int)columns, skipColumn: -1, labelsOut: null);
        var (labels, names) = MapLabels(ReadLabelVector(labelsPath, rows));
        return new Dataset(features, labels, names, image: Image(header.Shape), name: Path.GetFileName(featuresPath));
    }

    /// <summary>Reads one 2-D array whose column <paramref name="labelColumn"/> (negative: from the end) holds the labels.</summary>
    public static Dataset Read(string path, int labelColumn = -1)
    {
        using var fs = OpenChecked(path, out var header);
        if (header.Shape.Length != 2 || header.Shape[0] == 0 || header.Shape[1] < 2)
            throw new DataFormatException(path, null, $"expected a 2-D array (rows, features + label) with at least 2 columns, found shape ({header.ShapeText})");
        int rows = (int)header.Shape[0], width = (int)header.Shape[1];
        int label = labelColumn < 0 ? width + labelColumn : labelColumn;
        if ((uint)label >= (uint)width) throw new ArgumentOutOfRangeException(nameof(labelColumn), $"Column {labelColumn} is outside the {width} columns.");
        var raw = new double[rows];
        var features = ReadMatrix(fs, path, header, rows, width, label, raw);
        var (labels, names) = MapLabels(raw.Select((v, i) => Integral(v, path, i)).ToArray());
        return new Dataset(features, labels, names, name: Path.GetFileName(path));
    }

    private static FileStream OpenChecked(string path, out NpyHeader header)
    {
        var fs = DataFiles.OpenRegular(path, DataFiles.BufferSize);
        try
        {
            header = NpyHeader.Read(fs, path, fs.Length);
            if (header.Descr is not ("<f4" or "<f8" or "|u1" or "<u1" or "<i4" or "<i8" or "|i1"))
                throw new DataFormatException(path, null, $"expected dtype '<f4', '<f8', '|u1', '<i4' or '<i8', found '{header.Descr}'");
            long expected = header.DataOffset + header.Count * header.ItemSize;
            if (header.Count > Array.MaxLength || expected != fs.Length)
                throw new DataFormatException(path, null,
                    $"{(expected > fs.Length ? "truncated" : "trailing data")}: shape ({header.ShapeText}) of '{header.Descr}' needs {expected} bytes, the file has {fs.Length}");
            return fs;
        }
        catch { fs.Dispose(); throw; }
    }

    private static FeatureMatrix ReadMatrix(Stream fs, string path, NpyHeader header, int rows, int width, int skipColumn, double[]? labelsOut)
    {
        int columns = skipColumn >= 0 ? width - 1 : width;
        int item = header.ItemSize;
        var scratch = new byte[(long)width * item];
        if (header.Descr is "|u1" or "<u1")
        {
            var bytes = GC.AllocateUninitializedArray<byte>(checked(rows * columns));
            if (skipColumn < 0) Fill(fs, path, bytes, 0);
            else
                for (int r = 0; r < rows; r++)
                {
                    Fill(fs, path, scratch, r);
                    scratch.AsSpan(0, skipColumn).CopyTo(bytes.AsSpan(r * columns));
                    scratch.AsSpan(skipColumn + 1).CopyTo(bytes.AsSpan(r * columns + skipColumn));
                    labelsOut![r] = scratch[skipColumn];
                }
            return new ByteMatrix(bytes, rows, columns);
        }
        if (header.Descr is not ("<f4" or "<f8"))
            throw new DataFormatException(path, null, $"expected feature dtype '<f4', '<f8' or '|u1', found '{header.Descr}'");
        var dense = new DenseMatrix(rows, columns);
        for (int r = 0; r < rows; r++)
        {
            var row = dense.Row(r);
            if (item == 4 && skipColumn < 0) Fill(fs, path, MemoryMarshal.AsBytes(row), r);
            else
            {
                Fill(fs, path, scratch, r);
                for (int j = 0, k = 0; j < width; j++)
                {
                    double v = item == 4 ? BinaryPrimitives.ReadSingleLittleEndian(scratch.AsSpan(j * 4))
                        : BinaryPrimitives.ReadDoubleLittleEndian(scratch.AsSpan(j * 8));
                    if (j == skipColumn) labelsOut![r] = v;
                    else row[k++] = (float)v;
                }
            }
            for (int j = 0; j < row.Length; j++)
                if (!float.IsFinite(row[j]))
                    throw new DataFormatException(path, r + 1, $"column {j + 1}: expected a finite float32 value, found {row[j].ToString(CultureInfo.InvariantCulture)}");
        }
        return dense;
    }

    private static void Fill(Stream fs, string path, Span<byte> target, long record)
    {
        if (DataFiles.ReadFully(fs, target) < target.Length)
            throw new DataFormatException(path, record + 1, "truncated: the file ended early (it changed while being read)");
    }

    private static long[] ReadLabelVector(string path, int rows)
    {
        using var fs = OpenChecked(path, out var header);
        bool vector = header.Shape.Length == 1 || (header.Shape.Length == 2 && header.Shape[1] == 1);
        if (!vector || header.Shape[0] != rows)
            throw new DataFormatException(path, null, $"expected {rows} labels of shape ({rows},), found shape ({header.ShapeText})");
        var bytes = new byte[header.Count * header.ItemSize];
        Fill(fs, path, bytes, 0);
        var labels = new long[rows];
        for (int i = 0; i < rows; i++)
        {
            var s = bytes.AsSpan(i * header.ItemSize);
            labels[i] = header.Descr switch
            {
                "|u1" or "<u1" => s[0],
                "|i1" => (sbyte)s[0],
                "<i4" => BinaryPrimitives.ReadInt32LittleEndian(s),
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(s),
                "<f4" => Integral(BinaryPrimitives.ReadSingleLittleEndian(s), path, i),
                _ => Integral(BinaryPrimitives.ReadDoubleLittleEndian(s), path, i),
            };
        }
        return labels;
    }

    private static long Integral(double v, string path, int index) =>
        double.IsFinite(v) && v == Math.Round(v) && Math.Abs(v) < 1e15 ? (long)v
            : throw new DataFormatException(path, index + 1, $"expected an integer class label, found {v.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Classes in numeric order (integers below 10¹⁵ are exact doubles, so <see cref="LabelMap"/>'s order is theirs).</summary>
    private static (int[] Labels, string[] Names) MapLabels(long[] raw)
    {
        var map = new LabelMap();
        var labels = raw.Select(v => map.Add(v.ToString(CultureInfo.InvariantCulture))).ToArray();
        return (labels, map.Finish(labels));
    }

    private static ImageShape? Image(long[] shape) => shape.Length switch
    {
        3 => new ImageShape((int)shape[1], (int)shape[2], 1),
        4 when shape[1] is 1 or 3 or 4 && shape[3] is not (1 or 3 or 4) => new ImageShape((int)shape[2], (int)shape[3], (int)shape[1], ChannelPlanar: true),
        4 => new ImageShape((int)shape[1], (int)shape[2], (int)shape[3], ChannelPlanar: false),
        _ => null,
    };
}

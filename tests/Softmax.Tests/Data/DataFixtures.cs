using System.Buffers.Binary;
using System.IO.Compression;
using Softmax.Data;

namespace Softmax.Tests.Data;

/// <summary>Small files in the real byte layouts (IDX, CIFAR, gzip), pixels, and reader-error assertions.</summary>
public static class DataFixtures
{
    /// <summary>IDX bytes: big-endian magic 0x0000080N and sizes, then the data.</summary>
    public static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x800 | dims.Length);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Deterministic pseudo-random pixels.</summary>
    public static byte[] Pixels(int count, int seed)
    {
        var b = new byte[count];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>CIFAR records: label byte(s) then 3072 planar pixels per image.</summary>
    public static byte[] Cifar(byte[][] labelBytes, byte[] pixels)
    {
        int n = labelBytes.Length, lb = labelBytes[0].Length;
        var bytes = new byte[n * (lb + 3072)];
        for (int i = 0; i < n; i++)
        {
            labelBytes[i].CopyTo(bytes, i * (lb + 3072));
            pixels.AsSpan(i * 3072, 3072).CopyTo(bytes.AsSpan(i * (lb + 3072) + lb));
        }
        return bytes;
    }

    public static DataFormatException AssertFormatError(Action read, string path, long? record = null, string? contains = null)
    {
        var e = Assert.Throws<DataFormatException>(read);
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        if (record is not null)
        {
            Assert.Equal(record, e.Record);
            Assert.Contains($"record/line {record}", e.Message);
        }
        if (contains is not null) Assert.Contains(contains, e.Message);
        return e;
    }

    public static float[] RowOf(FeatureMatrix m, int row)
    {
        var r = new float[m.Columns];
        m.CopyRow(row, r);
        return r;
    }
}

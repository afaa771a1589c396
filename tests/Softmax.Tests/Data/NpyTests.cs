using System.Text;
using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

public class NpyTests
{
    [Fact]
    public void Float32FeaturesAndInt32Labels()
    {
        using var dir = new TempDir();
        var x = Enumerable.Range(0, 3 * 5).Select(i => i * 0.5f - 2).ToArray();
        NpyWriter.Write(dir.File("X.npy"), x, 3, 5);
        NpyWriter.Write(dir.File("y.npy"), new[] { 7, 3, 7 }, 3);
        var ds = NpyReader.Read(dir.File("X.npy"), dir.File("y.npy"));
        var m = Assert.IsType<DenseMatrix>(ds.Features);
        Assert.Equal(x[5..10], RowOf(m, 1));
        Assert.Equal(new[] { "3", "7" }, ds.ClassNames);
        Assert.Equal(new[] { 1, 0, 1 }, ds.Labels);
        // Header layout: magic, version 1.0, the total header a multiple of 64 bytes, ending in a newline.
        var bytes = File.ReadAllBytes(dir.File("X.npy"));
        Assert.Equal(new byte[] { 0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59 }, bytes[..6]);
        Assert.Equal(1, bytes[6]);
        int headerLength = bytes[8] | bytes[9] << 8;
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal((byte)'\n', bytes[10 + headerLength - 1]);
        Assert.Contains("'shape': (3, 5)", Encoding.Latin1.GetString(bytes, 10, headerLength));
        Assert.Equal(10 + headerLength + 60, bytes.Length);
    }

    [Fact]
    public void Uint8ImagesBecomeByteMatrix()
    {
        using var dir = new TempDir();
        var pixels = Pixels(4 * 28 * 28, 9);
        NpyWriter.Write(dir.File("images.npy"), pixels, 4, 28, 28);
        NpyWriter.Write(dir.File("labels.npy"), new byte[] { 0, 1, 2, 1 }, 4);
        var ds = DataLoader.Load(dir.File("images.npy"));
        Assert.Equal(pixels, Assert.IsType<ByteMatrix>(ds.Features).Data);
        Assert.Equal(new ImageShape(28, 28, 1), ds.Image);
        Assert.Equal(new[] { 0, 1, 2, 1 }, ds.Labels);
    }

    [Fact]
    public void Float64AndVersion2And3Headers()
    {
        using var dir = new TempDir();
        var values = new double[] { 1.25, -2, 3, 0, 5, 1 };
        foreach (int version in new[] { 1, 2, 3 })
        {
            string p = dir.Write($"d{version}.npy", RawNpy(version, "<f8", "(2, 3)", values.SelectMany(BitConverter.GetBytes).ToArray()));
            var ds = NpyReader.Read(p, labelColumn: 1);
            Assert.Equal(new[] { 1.25f, 3f }, RowOf(ds.Features, 0));
            Assert.Equal(new[] { 0f, 1f }, RowOf(ds.Features, 1));
            Assert.Equal(new[] { "-2", "5" }, ds.ClassNames);
            Assert.Equal(new[] { 0, 1 }, ds.Labels);
        }
        values[4] = 1e-3;
        string bad = dir.Write("frac.npy", RawNpy(1, "<f8", "(2, 3)", values.SelectMany(BitConverter.GetBytes).ToArray()));
        AssertFormatError(() => NpyReader.Read(bad, labelColumn: 1), bad, record: 2, contains: "integer class label, found 0.001");
    }

    [Fact]
    public void LabelInColumnUint8()
    {
        using var dir = new TempDir();
        NpyWriter.Write(dir.File("all.npy"), new byte[] { 1, 2, 9, 3, 4, 8 }, 2, 3);
        var ds = NpyReader.Read(dir.File("all.npy"));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, ((ByteMatrix)ds.Features).Data);
        Assert.Equal(new[] { "8", "9" }, ds.ClassNames);
        Assert.Equal(new[] { 1, 0 }, ds.Labels);
    }

    [Fact]
    public void Errors()
    {
        using var dir = new TempDir();
        string fortran = dir.Write("f.npy", RawNpy(1, "<f4", "(1, 2)", new byte[8], fortran: true));
        AssertFormatError(() => NpyReader.Read(fortran), fortran, contains: "fortran_order True");
        string dtype = dir.Write("c.npy", RawNpy(1, "<c16", "(1, 2)", new byte[32]));
        AssertFormatError(() => NpyReader.Read(dtype), dtype, contains: "'<c16'");
        string truncated = dir.Write("t.npy", RawNpy(1, "<f4", "(4, 2)", new byte[20]));
        AssertFormatError(() => NpyReader.Read(truncated), truncated, contains: "truncated");
        string magic = dir.Write("m.npy", Encoding.ASCII.GetBytes("PK\x03\x04 not an npy file at all"));
        AssertFormatError(() => NpyReader.Read(magic), magic, contains: "magic");
        string empty = dir.Write("e.npy", []);
        AssertFormatError(() => NpyReader.Read(empty), empty, contains: "empty");
        string huge = dir.Write("h.npy", RawNpy(1, "<f4", "(2147483647, 784)", new byte[16]));
        AssertFormatError(() => NpyReader.Read(huge), huge);
        NpyWriter.Write(dir.File("x.npy"), new float[] { 1, 2, 3, 4 }, 2, 2);
        NpyWriter.Write(dir.File("y.npy"), new[] { 1, 2, 3 }, 3);
        AssertFormatError(() => NpyReader.Read(dir.File("x.npy"), dir.File("y.npy")), dir.File("y.npy"), contains: "expected 2 labels");
        string nan = dir.Write("n.npy", RawNpy(1, "<f4", "(2, 2)", new[] { 1f, 0, float.NaN, 1 }.SelectMany(BitConverter.GetBytes).ToArray()));
        AssertFormatError(() => NpyReader.Read(nan), nan, record: 2, contains: "finite");
    }

    /// <summary>A .npy file written by hand, independent of <see cref="NpyWriter"/>.</summary>
    internal static byte[] RawNpy(int version, string descr, string shape, byte[] data, bool fortran = false)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int prefix = version == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";
        var bytes = new List<byte>();
        bytes.AddRange(new byte[] { 0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59 });
        bytes.Add((byte)version);
        bytes.Add(0);
        bytes.AddRange(BitConverter.GetBytes(header.Length).Take(version == 1 ? 2 : 4));
        bytes.AddRange(Encoding.Latin1.GetBytes(header));
        bytes.AddRange(data);
        return bytes.ToArray();
    }
}

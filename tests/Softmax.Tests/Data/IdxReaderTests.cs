using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

public class IdxReaderTests
{
    private static (string Images, string Labels, byte[] Pixels, byte[] LabelBytes) WritePair(TempDir dir, bool gzip, int n = 5, int h = 3, int w = 4)
    {
        var pixels = Pixels(n * h * w, 1);
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i * 7 % 10)).ToArray();
        byte[] img = Idx([n, h, w], pixels), lab = Idx([n], labels);
        string suffix = gzip ? ".gz" : "";
        return (dir.Write("train-images-idx3-ubyte" + suffix, gzip ? Gzip(img) : img),
            dir.Write("train-labels-idx1-ubyte" + suffix, gzip ? Gzip(lab) : lab), pixels, labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTrip(bool gzip)
    {
        using var dir = new TempDir();
        var (images, labels, pixels, labelBytes) = WritePair(dir, gzip);
        var ds = IdxReader.ReadPair(images, labels);
        var m = Assert.IsType<ByteMatrix>(ds.Features);
        Assert.Equal(5, ds.Rows);
        Assert.Equal(12, ds.FeatureCount);
        Assert.Equal(1f, m.Scale);
        Assert.Equal(pixels, m.Data);
        Assert.Equal(labelBytes.Select(b => (int)b), ds.Labels);
        Assert.Equal(new ImageShape(3, 4, 1), ds.Image);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), ds.ClassNames);
    }

    [Fact]
    public void ClassCountFollowsLargestLabel()
    {
        using var dir = new TempDir();
        string img = dir.Write("a-images-idx3-ubyte", Idx([2, 1, 1], [1, 2]));
        string lab = dir.Write("a-labels-idx1-ubyte", Idx([2], [3, 25]));
        var ds = IdxReader.ReadPair(img, lab);
        Assert.Equal(26, ds.ClassCount);
        Assert.Equal("25", ds.ClassNames[25]);
    }

    [Fact]
    public void WrongMagic()
    {
        using var dir = new TempDir();
        var bytes = Idx([2, 2, 2], new byte[8]);
        bytes[3] = 0x02;
        string p = dir.Write("x-images-idx3-ubyte", bytes);
        AssertFormatError(() => IdxReader.ReadImages(p), p, contains: "0x00000803");
        // A labels file passed as images is also a wrong magic.
        string l = dir.Write("y-labels-idx1-ubyte", Idx([2], [0, 1]));
        AssertFormatError(() => IdxReader.ReadImages(l), l, contains: "found 0x00000801");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated(bool gzip)
    {
        using var dir = new TempDir();
        var full = Idx([4, 2, 2], Pixels(16, 2));
        var cut = full[..^6];
        string p = dir.Write("t-images-idx3-ubyte", gzip ? Gzip(cut) : cut);
        var e = AssertFormatError(() => IdxReader.ReadImages(p), p, contains: "truncated");
        if (gzip) Assert.Equal(3, e.Record); // 16 - 6 = 10 bytes: images 1, 2 complete, 3 broken
    }

    [Fact]
    public void TrailingBytes()
    {
        using var dir = new TempDir();
        var bytes = Idx([2], [1, 2]).Concat(new byte[] { 9 }).ToArray();
        string p = dir.Write("l-labels-idx1-ubyte", bytes);
        AssertFormatError(() => IdxReader.ReadLabels(p), p, contains: "trailing");
    }

    [Fact]
    public void CountMismatch()
    {
        using var dir = new TempDir();
        string img = dir.Write("c-images-idx3-ubyte", Idx([3, 2, 2], new byte[12]));
        string lab = dir.Write("c-labels-idx1-ubyte", Idx([2], [0, 1]));
        AssertFormatError(() => IdxReader.ReadPair(img, lab), lab, contains: "expected 3 labels");
    }

    [Fact]
    public void EmptyFile()
    {
        using var dir = new TempDir();
        string p = dir.Write("e-images-idx3-ubyte", []);
        AssertFormatError(() => IdxReader.ReadImages(p), p, contains: "empty");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HugeClaimDoesNotAllocate(bool gzip)
    {
        using var dir = new TempDir();
        var header = Idx([int.MaxValue, 28, 28], new byte[100]);
        string p = dir.Write("h-images-idx3-ubyte", gzip ? Gzip(header) : header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertFormatError(() => IdxReader.ReadImages(p), p);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20);
        // 2^31 / 784 images: fits an array, still far more than the file holds.
        var claim = Idx([2_000_000, 28, 28], new byte[100]);
        string q = dir.Write("k-images-idx3-ubyte", gzip ? Gzip(claim) : claim);
        before = GC.GetAllocatedBytesForCurrentThread();
        AssertFormatError(() => IdxReader.ReadImages(q), q, contains: "truncated");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20);
    }

    [Fact]
    public void CorruptGzipIsFormatError()
    {
        using var dir = new TempDir();
        var gz = Gzip(Idx([50, 4, 4], Pixels(800, 3)));
        for (int i = 12; i < gz.Length - 8; i++) gz[i] ^= 0x5A;
        string p = dir.Write("z-images-idx3-ubyte.gz", gz);
        Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(p));
    }
}

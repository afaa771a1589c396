using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

public class CifarReaderTests
{
    [Fact]
    public void Cifar10DirectoryRoundTrip()
    {
        using var dir = new TempDir();
        var all = Pixels(12 * 3072, 5);
        for (int b = 1; b <= 5; b++)
        {
            var labels = Enumerable.Range(0, 2).Select(i => new[] { (byte)((b * 2 + i) % 10) }).ToArray();
            dir.Write($"data_batch_{b}.bin", Cifar(labels, all[((b - 1) * 2 * 3072)..(b * 2 * 3072)]));
        }
        dir.Write("test_batch.bin", Cifar([[9], [0]], all[(10 * 3072)..]));
        var train = CifarReader.Read(dir.Path);
        Assert.Equal(10, train.Rows);
        Assert.Equal(3072, train.FeatureCount);
        Assert.Equal(all[..(10 * 3072)], Assert.IsType<ByteMatrix>(train.Features).Data);
        Assert.Equal(new[] { 2, 3, 4, 5, 6, 7, 8, 9, 0, 1 }, train.Labels);
        Assert.Equal(new ImageShape(32, 32, 3, ChannelPlanar: true), train.Image);
        Assert.Equal("airplane", train.ClassNames[0]);
        Assert.Equal("truck", train.ClassNames[9]);
        // Planar: the green value of pixel (y=1, x=2) of image 0 sits at 1024 + 32 + 2.
        Assert.Equal(all[1024 + 32 + 2], ((ByteMatrix)train.Features).Row(0)[train.Image!.IndexOf(1, 2, 1)]);
        var test = CifarReader.Read(dir.Path, split: DataSplit.Test);
        Assert.Equal(new[] { 9, 0 }, test.Labels);
        Assert.Equal(all[(10 * 3072)..], ((ByteMatrix)test.Features).Data);
    }

    [Fact]
    public void Cifar100CoarseAndFine()
    {
        using var dir = new TempDir();
        var pixels = Pixels(3 * 3072, 6);
        string p = dir.Write("train.bin", Cifar([[3, 99], [19, 0], [0, 42]], pixels));
        var fine = CifarReader.Read(p, CifarVariant.Cifar100);
        Assert.Equal(new[] { 99, 0, 42 }, fine.Labels);
        Assert.Equal(100, fine.ClassCount);
        var coarse = CifarReader.Read(p, CifarVariant.Cifar100, label: CifarLabel.Coarse);
        Assert.Equal(new[] { 3, 19, 0 }, coarse.Labels);
        Assert.Equal(20, coarse.ClassCount);
        Assert.Equal(pixels, ((ByteMatrix)coarse.Features).Data);
        var fromDir = CifarReader.Read(dir.Path, CifarVariant.Cifar100);
        Assert.Equal(fine.Labels, fromDir.Labels);
    }

    [Fact]
    public void NamesFileIsUsed()
    {
        using var dir = new TempDir();
        string p = dir.Write("train.bin", Cifar([[1, 2]], Pixels(3072, 1)));
        dir.WriteText("coarse_label_names.txt", string.Join("\n", Enumerable.Range(0, 20).Select(i => $"super{i}")) + "\n\n");
        Assert.Equal("super1", CifarReader.Read(p, CifarVariant.Cifar100, label: CifarLabel.Coarse).ClassNames[1]);
    }

    [Fact]
    public void WrongRecordSize()
    {
        using var dir = new TempDir();
        // CIFAR-100 records read as CIFAR-10: 2 × 3074 = 6148 is not a multiple of 3073.
        string p = dir.Write("data_batch_1.bin", Cifar([[1, 2], [3, 4]], Pixels(2 * 3072, 1)));
        AssertFormatError(() => CifarReader.Read(p), p, record: 3, contains: "multiple of the Cifar10 record size 3073");
    }

    [Fact]
    public void TruncatedRecord()
    {
        using var dir = new TempDir();
        var bytes = Cifar([[1], [2]], Pixels(2 * 3072, 1))[..^100];
        string p = dir.Write("data_batch_1.bin", bytes);
        AssertFormatError(() => CifarReader.Read(p), p, record: 2);
    }

    [Fact]
    public void LabelOutOfRange()
    {
        using var dir = new TempDir();
        string p = dir.Write("data_batch_1.bin", Cifar([[1], [7], [10]], Pixels(3 * 3072, 1)));
        AssertFormatError(() => CifarReader.Read(p), p, record: 3, contains: "label in 0..9, found 10");
        string q = dir.Write("train.bin", Cifar([[20, 5]], Pixels(3072, 1)));
        AssertFormatError(() => CifarReader.Read(q, CifarVariant.Cifar100, label: CifarLabel.Coarse), q, record: 1, contains: "coarse label in 0..19, found 20");
    }

    [Fact]
    public void DirectoryWithoutBatches()
    {
        using var dir = new TempDir();
        dir.WriteText("readme.txt", "nothing here");
        AssertFormatError(() => CifarReader.Read(dir.Path), dir.Path, contains: "data_batch_1.bin");
    }

    [Fact]
    public void EmptyBatch()
    {
        using var dir = new TempDir();
        string p = dir.Write("data_batch_1.bin", []);
        AssertFormatError(() => CifarReader.Read(p), p, contains: "empty");
    }
}

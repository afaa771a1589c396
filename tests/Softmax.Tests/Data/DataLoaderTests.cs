using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

public class DataLoaderTests
{
    [Theory]
    [InlineData("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")]
    [InlineData("train-images-idx3-ubyte", "train-labels-idx1-ubyte")]
    [InlineData("emnist-letters-train-images-idx3-ubyte", "emnist-letters-train-labels-idx1-ubyte")]
    [InlineData("images.idx", "labels.idx")]
    public void IdxByImagesFile(string images, string labels)
    {
        using var dir = new TempDir();
        var pixels = Pixels(2 * 4, 3);
        byte[] img = Idx([2, 2, 2], pixels), lab = Idx([2], [4, 1]);
        bool gz = images.EndsWith(".gz");
        string p = dir.Write(images, gz ? Gzip(img) : img);
        dir.Write(labels, gz ? Gzip(lab) : lab);
        Assert.Equal(DataFormat.Idx, DataLoader.Detect(p));
        var ds = DataLoader.Load(p);
        Assert.Equal(pixels, ((ByteMatrix)ds.Features).Data);
        Assert.Equal(new[] { 4, 1 }, ds.Labels);
    }

    [Fact]
    public void IdxDirectoryPicksSplit()
    {
        using var dir = new TempDir();
        dir.Write("train-images-idx3-ubyte.gz", Gzip(Idx([1, 1, 2], [1, 2])));
        dir.Write("train-labels-idx1-ubyte.gz", Gzip(Idx([1], [3])));
        dir.Write("t10k-images-idx3-ubyte.gz", Gzip(Idx([2, 1, 2], [5, 6, 7, 8])));
        dir.Write("t10k-labels-idx1-ubyte.gz", Gzip(Idx([2], [0, 9])));
        Assert.Equal(DataFormat.Idx, DataLoader.Detect(dir.Path));
        Assert.Equal(new[] { 3 }, DataLoader.Load(dir.Path).Labels);
        Assert.Equal(new[] { 0, 9 }, DataLoader.Load(dir.Path, options: new DataLoadOptions { Split = DataSplit.Test }).Labels);
    }

    [Fact]
    public void DetectsByContent()
    {
        using var dir = new TempDir();
        string svm = dir.WriteText("data.txt", "1 1:0.5 2:1\n0 2:3\n");
        string csv = dir.WriteText("table.txt", "1,2,a\n3,4,b\n");
        NpyWriter.Write(dir.File("arr.bin2"), new float[] { 1, 2, 3, 4 }, 2, 2);
        Assert.Equal(DataFormat.LibSvm, DataLoader.Detect(svm));
        Assert.Equal(DataFormat.Csv, DataLoader.Detect(csv));
        Assert.Equal(DataFormat.Npy, DataLoader.Detect(dir.File("arr.bin2")));
        Assert.IsType<CsrMatrix>(DataLoader.Load(svm).Features);
        Assert.IsType<DenseMatrix>(DataLoader.Load(csv).Features);
        Assert.Equal(new[] { "2", "4" }, DataLoader.Load(dir.File("arr.bin2")).ClassNames);
    }

    [Fact]
    public void CifarDirectories()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("cifar-10-batches-bin"));
        File.WriteAllBytes(Path.Combine(dir.File("cifar-10-batches-bin"), "data_batch_1.bin"), Cifar([[4]], Pixels(3072, 1)));
        Assert.Equal(DataFormat.Cifar10, DataLoader.Detect(dir.Path));
        Assert.Equal(new[] { 4 }, DataLoader.Load(dir.Path).Labels);
        using var other = new TempDir();
        other.Write("train.bin", Cifar([[1, 50]], Pixels(3072, 1)));
        Assert.Equal(DataFormat.Cifar100, DataLoader.Detect(other.Path));
        Assert.Equal(new[] { 50 }, DataLoader.Load(other.Path).Labels);
        Assert.Equal(new[] { 1 }, DataLoader.Load(other.Path, options: new DataLoadOptions { CifarLabel = CifarLabel.Coarse }).Labels);
    }

    [Fact]
    public void MissingLabelsFileIsNamed()
    {
        using var dir = new TempDir();
        string p = dir.Write("train-images-idx3-ubyte", Idx([1, 1, 1], [1]));
        AssertFormatError(() => DataLoader.Load(p), p, contains: "labels");
        Assert.Throws<FileNotFoundException>(() => DataLoader.Load(dir.File("nope.csv")));
    }
}

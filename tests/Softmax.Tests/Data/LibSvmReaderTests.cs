using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

public class LibSvmReaderTests
{
    [Fact]
    public void RoundTrip()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("a.svm", "# a comment line\n+1 qid:3 1:0.5 3:-2 # trailing\n-1 2:1e-3\n\n+1\n2 4:7\n");
        var ds = LibSvmReader.Read(p);
        var m = Assert.IsType<CsrMatrix>(ds.Features);
        Assert.Equal(4, ds.Rows);
        Assert.Equal(4, ds.FeatureCount);
        Assert.Equal(new long[] { 0, 2, 3, 3, 4 }, m.RowPointers.ToArray());
        Assert.Equal(new[] { 0, 2, 1, 3 }, m.ColumnIndices.ToArray());
        Assert.Equal(new[] { 0.5f, -2f, 1e-3f, 7f }, m.Values.ToArray());
        Assert.Equal(new[] { "-1", "+1", "2" }, ds.ClassNames);
        Assert.Equal(new[] { 1, 0, 1, 2 }, ds.Labels);
        Assert.Equal(new[] { 0.5f, 0, -2f, 0 }, RowOf(m, 0));
    }

    [Fact]
    public void FeatureCountOption()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("b.svm", "0 1:1\n1 2:1\n");
        Assert.Equal(10, LibSvmReader.Read(p, featureCount: 10).FeatureCount);
        AssertFormatError(() => LibSvmReader.Read(p, featureCount: 1), p, record: 2, contains: "up to the feature count 1, found 2");
    }

    [Theory]
    [InlineData("1 1:1\n0 0:2\n", 2, "1-based feature index (>= 1), found 0")]
    [InlineData("1 1:1\n0 -3:2\n", 2, "found -3")]
    [InlineData("1 1:1\n0 3:2 2:1\n", 2, "strictly ascending order, found 2 after 3")]
    [InlineData("1 1:1 1:2\n", 1, "found 1 after 1")]
    [InlineData("1 1:1\n0 2:abc\n", 2, "feature 2: expected a finite number, found 'abc'")]
    [InlineData("1 1:nan\n", 1, "found 'nan'")]
    [InlineData("1 1:1\n1 5\n", 2, "expected 'index:value', found '5'")]
    [InlineData("1:1 2:2\n", 1, "expected a label first")]
    public void BadInput(string text, int line, string message)
    {
        using var dir = new TempDir();
        string p = dir.WriteText("bad.svm", text);
        AssertFormatError(() => LibSvmReader.Read(p), p, record: line, contains: message);
    }

    [Fact]
    public void EmptyFile()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("e.svm", "# only comments\n\n");
        AssertFormatError(() => LibSvmReader.Read(p), p, contains: "empty file");
    }
}

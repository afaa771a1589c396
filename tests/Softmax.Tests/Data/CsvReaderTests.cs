using System.Globalization;
using System.Text;
using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

public class CsvReaderTests
{
    [Fact]
    public void NumericNoHeaderLabelLast()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("a.csv", "1.5,2,0\n-3e2,0.25,1\r\n\n7,8,10\n");
        var ds = CsvReader.Read(p);
        var m = Assert.IsType<DenseMatrix>(ds.Features);
        Assert.Equal(3, ds.Rows);
        Assert.Equal(2, ds.FeatureCount);
        Assert.Equal(new[] { 1.5f, 2f }, RowOf(m, 0));
        Assert.Equal(new[] { -300f, 0.25f }, RowOf(m, 1));
        Assert.Equal(new[] { 7f, 8f }, RowOf(m, 2));
        Assert.Equal(new[] { "0", "1", "10" }, ds.ClassNames);
        Assert.Equal(new[] { 0, 1, 2 }, ds.Labels);
    }

    [Fact]
    public void NumericLabelsSortNumerically()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("n.csv", "1,10\n2,9\n3,2\n4,10\n");
        var ds = CsvReader.Read(p);
        Assert.Equal(new[] { "2", "9", "10" }, ds.ClassNames);
        Assert.Equal(new[] { 2, 1, 0, 2 }, ds.Labels);
    }

    [Theory]
    [InlineData(';')]
    [InlineData('\t')]
    [InlineData('|')]
    [InlineData(',')]
    public void HeaderDelimiterAndStringLabels(char delimiter)
    {
        using var dir = new TempDir();
        string d = delimiter.ToString();
        string text = string.Join("\n", new[] { "species,sepal,petal", "setosa,5.1,1.4", "\"virginica\",6.3,\"6.0\"", "setosa,4.9,1.5" }
            .Select(l => l.Replace(",", d)));
        string p = dir.WriteText("iris.txt", text);
        var ds = CsvReader.Read(p, new CsvOptions { LabelColumn = "species" });
        Assert.Equal(new[] { "setosa", "virginica" }, ds.ClassNames);
        Assert.Equal(new[] { 0, 1, 0 }, ds.Labels);
        Assert.Equal(new[] { 6.3f, 6.0f }, RowOf(ds.Features, 1));
        // Detection alone finds the header too (non-numeric feature columns in the first row).
        var auto = CsvReader.Read(p, new CsvOptions { LabelIndex = 0 });
        Assert.Equal(ds.Labels, auto.Labels);
    }

    [Fact]
    public void QuotedFieldsWithDelimiterAndNewline()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("q.csv", "x,y,label\n1,2,\"a, \"\"quoted\"\"\nlabel\"\n3,4,b\n5,6,b\n");
        var ds = CsvReader.Read(p);
        Assert.Equal(new[] { "a, \"quoted\"\nlabel", "b" }, ds.ClassNames);
        Assert.Equal(new[] { 0, 1, 1 }, ds.Labels);
        Assert.Equal(new[] { 5f, 6f }, RowOf(ds.Features, 2));
        // The error line after a quoted newline still counts physical lines.
        string bad = dir.WriteText("qbad.csv", "x,y,label\n1,2,\"a\nb\"\n3,oops,b\n");
        AssertFormatError(() => CsvReader.Read(bad), bad, record: 4, contains: "column 2 ('y')");
    }

    [Fact]
    public void GzipAndBom()
    {
        using var dir = new TempDir();
        var text = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("a,b,c\n1,2,x\n3,4,y\n")).ToArray();
        string p = dir.Write("g.csv.gz", Gzip(text));
        var ds = CsvReader.Read(p);
        Assert.Equal(2, ds.Rows);
        Assert.Equal(new[] { 3f, 4f }, RowOf(ds.Features, 1));
    }

    [Fact]
    public void LongRecordsGrowTheBuffer()
    {
        using var dir = new TempDir();
        int columns = 300_000; // ~ 1.5 MB per line, more than the 1 MiB read buffer
        var sb = new StringBuilder();
        for (int r = 0; r < 3; r++)
        {
            for (int j = 0; j < columns; j++) sb.Append((r + j) % 7).Append(',');
            sb.Append(r).Append('\n');
        }
        string p = dir.WriteText("wide.csv", sb.ToString());
        var ds = CsvReader.Read(p);
        Assert.Equal(columns, ds.FeatureCount);
        Assert.Equal((2 + columns - 1) % 7, ((DenseMatrix)ds.Features)[2, columns - 1]);
    }

    [Fact]
    public void ParsesExactlyLikeFloatParse()
    {
        var rng = new Random(11);
        var sb = new StringBuilder();
        var expected = new List<float>();
        for (int r = 0; r < 2000; r++)
        {
            for (int j = 0; j < 4; j++)
            {
                string s = (j switch
                {
                    0 => (rng.NextDouble() * 2 - 1).ToString("R", CultureInfo.InvariantCulture),
                    1 => ((float)(rng.NextDouble() * Math.Pow(10, rng.Next(-30, 30)))).ToString("R", CultureInfo.InvariantCulture),
                    2 => rng.Next(-100000, 100000).ToString(CultureInfo.InvariantCulture) + "." + rng.Next(0, 1000000).ToString("D6", CultureInfo.InvariantCulture),
                    _ => (rng.NextDouble() * 1e-3).ToString("E12", CultureInfo.InvariantCulture),
                });
                expected.Add(float.Parse(s, CultureInfo.InvariantCulture));
                sb.Append(s).Append(',');
            }
            sb.Append("c\n");
        }
        using var dir = new TempDir();
        string p = dir.WriteText("r.csv", sb.ToString());
        var ds = CsvReader.Read(p);
        for (int r = 0; r < 2000; r++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[r * 4 + j]), BitConverter.SingleToInt32Bits(((DenseMatrix)ds.Features)[r, j]));
    }

    [Theory]
    [InlineData("1,2,0\n3,,1\n", 2, "column 2: expected a finite number, found an empty field")]
    [InlineData("1,2,0\n3,NaN,1\n", 2, "found NaN")]
    [InlineData("1,2,0\n3,4,1\n-inf,4,1\n", 3, "column 1: expected a finite number, found an infinite value '-inf'")]
    [InlineData("1,2,0\n3,1e39,1\n", 2, "infinite value '1e39'")]
    [InlineData("1,2,0\n3,abc,1\n", 2, "column 2: expected a finite number, found 'abc'")]
    [InlineData("1,2,0\n3,4\n", 2, "expected 3 fields, found 2")]
    [InlineData("1,2,0\n3,4,5,6\n", 2, "expected 3 fields, found 4")]
    [InlineData("1,2,0\n3,4,\n", 2, "empty field")]
    [InlineData("1,2,0\n3,4.5.6,1\n", 2, "'4.5.6'")]
    public void BadInput(string text, int line, string message)
    {
        using var dir = new TempDir();
        string p = dir.WriteText("bad.csv", text);
        AssertFormatError(() => CsvReader.Read(p, new CsvOptions { HasHeader = false }), p, record: line, contains: message);
    }

    [Fact]
    public void HeaderNamesTheColumn()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("h.csv", "width,height,kind\n1,2,a\n1,x,b\n");
        AssertFormatError(() => CsvReader.Read(p), p, record: 3, contains: "column 2 ('height')");
    }

    [Fact]
    public void EmptyAndHeaderOnly()
    {
        using var dir = new TempDir();
        string e = dir.WriteText("e.csv", "\n\n");
        AssertFormatError(() => CsvReader.Read(e), e, contains: "empty file");
        string h = dir.WriteText("h.csv", "a,b,label\n");
        AssertFormatError(() => CsvReader.Read(h), h, contains: "no");
    }

    [Fact]
    public void UnknownLabelColumn()
    {
        using var dir = new TempDir();
        string p = dir.WriteText("u.csv", "a,b,label\n1,2,x\n");
        AssertFormatError(() => CsvReader.Read(p, new CsvOptions { LabelColumn = "target" }), p, record: 1, contains: "'target'");
    }
}

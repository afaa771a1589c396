using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

public class PreprocessorTests
{
    private static Dataset Dense(float[,] x)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var m = new DenseMatrix(n, d);
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) m[i, j] = x[i, j];
        return new Dataset(m, new int[n], ["a"]);
    }

    [Fact]
    public void StandardizeHandComputed()
    {
        // Column 0: 1, 3 → mean 2, std 1. Column 1: constant 5 → 0. Column 2: 0, 4 → mean 2, std 2.
        var train = Dense(new float[,] { { 1, 5, 0 }, { 3, 5, 4 } });
        var p = Preprocessor.Fit(PreprocessKind.Standardize, train, scale: 1f);
        Assert.Equal(new[] { 2f, 5f, 2f }, p.Mean);
        Assert.Equal(new[] { 1f, 0f, 0.5f }, p.InverseStd);
        var applied = p.Apply(train);
        Assert.Equal(new[] { -1f, 0f, -1f }, RowOf(applied.Features, 0));
        Assert.Equal(new[] { 1f, 0f, 1f }, RowOf(applied.Features, 1));
        var half = Preprocessor.Fit(PreprocessKind.Standardize, train, scale: 0.5f);
        Assert.Equal(new[] { 1f, 2.5f, 1f }, half.Mean);
        Assert.Equal(new[] { -1f, 0f, -1f }, RowOf(half.Apply(train).Features, 0));
    }

    [Fact]
    public void CenterAfterScale()
    {
        var train = Dense(new float[,] { { 255, 0 }, { 0, 0 } });
        var p = Preprocessor.Fit(PreprocessKind.Center, train, scale: 1f / 255);
        Assert.Equal(0.5f, p.Mean![0], 6);
        var dst = new float[2];
        p.ApplyRow([255, 51], dst);
        Assert.Equal(0.5f, dst[0], 6);
        Assert.Equal(0.2f, dst[1], 6);
    }

    [Fact]
    public void ScaleKeepsBytes()
    {
        var bytes = new ByteMatrix([0, 255, 51, 102], 2, 2);
        var ds = new Dataset(bytes, [0, 0], ["a"]);
        var p = Preprocessor.Fit(PreprocessKind.Scale, ds);
        Assert.Equal(1f / 255, p.Scale);
        var scaled = Assert.IsType<ByteMatrix>(p.Apply(ds).Features);
        Assert.Same(bytes.Data, scaled.Data);
        Assert.Equal(0.2f, RowOf(scaled, 1)[0], 6);
        Assert.Equal(0.4f, RowOf(scaled, 1)[1], 6);
        var centered = Preprocessor.Fit(PreprocessKind.Center, ds, 1f / 255).Apply(ds);
        Assert.IsType<DenseMatrix>(centered.Features);
        Assert.Equal(-0.1f, RowOf(centered.Features, 0)[0], 6);
    }

    [Fact]
    public void SparseRules()
    {
        var csr = new CsrMatrix([0, 1, 2], [0, 1], [2f, 4f], 2, 2);
        var ds = new Dataset(csr, [0, 0], ["a"]);
        var scaled = Preprocessor.Fit(PreprocessKind.Scale, ds, 0.5f).Apply(ds);
        Assert.Equal(new[] { 1f, 2f }, Assert.IsType<CsrMatrix>(scaled.Features).Values.ToArray());
        var std = Preprocessor.Fit(PreprocessKind.Standardize, ds);
        var e = Assert.Throws<InvalidOperationException>(() => std.Apply(ds));
        Assert.Contains("dense", e.Message);
        var forced = std.Apply(ds, allowDensify: true);
        Assert.Equal(new[] { 1f, -1f }, RowOf(forced.Features, 0));
    }

    [Fact]
    public void RebuildFromSavedValuesAndCheckFeatureCount()
    {
        var train = Dense(new float[,] { { 1, 2 }, { 3, 6 } });
        var p = Preprocessor.Fit(PreprocessKind.Standardize, train);
        var q = new Preprocessor(p.Kind, p.Scale, p.Mean, p.InverseStd);
        Assert.Equal(RowOf(p.Apply(train).Features, 1), RowOf(q.Apply(train).Features, 1));
        Assert.Throws<ArgumentException>(() => q.ApplyRow([1f, 2f, 3f], new float[3]));
    }
}

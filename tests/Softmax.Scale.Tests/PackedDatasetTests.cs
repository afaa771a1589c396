using Softmax.Data;
using Softmax.Streaming;

namespace Softmax.Scale.Tests;

public sealed class PackedDatasetTests : IDisposable
{
    private readonly TempDir _temp = new("pack");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void A_packed_split_holds_out_and_packs_the_rows_of_the_in_memory_stratified_split(bool dense, bool weights)
    {
        // 40 000 rows: the split reads the file in more than one step.
        var bytes = TestData.Bytes(40000, 9, 5, seed: 4, weights);
        var data = dense ? TestData.Dense(bytes, 0.5f) : bytes;
        string path = _temp["split.smxp"], trainPath = _temp["train.smxp"];
        PackedDataset.Pack(data, path, new PackOptions(ChunkBytes: 5000));
        using var file = PackedDataset.Open(path);
        var (train, holdout) = data.Split(0.15, seed: 6);
        var (trainRows, holdoutRows) = PackedSplit.Indices(file, 0.15, seed: 6);
        Assert.Equal(Dataset.StratifiedSplit(data.Labels, 5, 0.15, 6).Holdout, holdoutRows);
        var held = PackedSplit.Load(file, holdoutRows);
        PackedSplit.Pack(file, trainRows, trainPath);
        using var packed = PackedDataset.Open(trainPath);
        foreach (var (expected, actual) in new[] { (holdout, held), (train, packed.Load()) })
        {
            Assert.Equal(expected.Labels, actual.Labels);
            Assert.Equal(expected.SampleWeights, actual.SampleWeights);
            var (a, b) = (new float[9], new float[9]);
            for (int i = 0; i < expected.Rows; i++)
            {
                expected.Features.CopyRow(i, a);
                actual.Features.CopyRow(i, b);
                Assert.Equal(a, b);
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Pack_then_load_round_trips_rows_labels_weights_and_header(bool dense, bool weights)
    {
        var bytes = TestData.Bytes(1000, 37, 4, seed: 1, weights);
        var data = dense ? TestData.Dense(bytes, 0.5f) : bytes.WithFeatures(((ByteMatrix)bytes.Features).WithScale(0.25f));
        data = new Dataset(data.Features, data.Labels, data.ClassNames, data.SampleWeights, new ImageShape(1, 37), "synthetic");
        string path = Path.Combine(_temp.Path, "a.smxp");
        PackedDataset.Pack(data, path, new PackOptions(ChunkBytes: 1000));
        using var file = PackedDataset.Open(path);
        Assert.Equal(1000, file.Rows);
        Assert.Equal(dense ? PackedElementType.Float32 : PackedElementType.UInt8, file.Header.ElementType);
        Assert.Equal(data.ClassNames, file.Header.ClassNames);
        Assert.Equal(new ImageShape(1, 37), file.Header.Image);
        Assert.Equal("synthetic", file.Header.Name);
        var back = file.Load();
        Assert.Equal(data.Labels, back.Labels);
        Assert.Equal(data.SampleWeights, back.SampleWeights);
        var r1 = new float[37];
        var r2 = new float[37];
        for (int i = 0; i < data.Rows; i++)
        {
            data.Features.CopyRow(i, r1);
            back.Features.CopyRow(i, r2);
            Assert.Equal(r1, r2);
        }
        Assert.Single(Directory.GetFiles(_temp.Path));   // no temporary files left behind
    }

    [Fact]
    public void A_damaged_row_byte_is_reported_with_its_chunk_when_read()
    {
        string path = Path.Combine(_temp.Path, "b.smxp");
        var header = PackedDataset.Pack(TestData.Bytes(500, 20, 3, seed: 2), path, new PackOptions(ChunkBytes: 2000));   // 100 rows a chunk
        var raw = File.ReadAllBytes(path);
        raw[header.HeaderBytes + 250 * 20 + 3] ^= 0x10;   // row 250: chunk 2
        File.WriteAllBytes(path, raw);
        using var file = PackedDataset.Open(path);   // header and table are intact
        file.Read(0, 200, (_, _, _) => { });
        var e = Assert.Throws<PackedFormatException>(() => file.Read(200, 100, (_, _, _) => { }));
        Assert.Contains("chunk 2 (rows)", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Truncated_files_and_wrong_magic_are_rejected_on_open()
    {
        string path = Path.Combine(_temp.Path, "c.smxp");
        PackedDataset.Pack(TestData.Bytes(50, 8, 2, seed: 3), path);
        var raw = File.ReadAllBytes(path);
        File.WriteAllBytes(path, raw[..^5]);
        Assert.Contains("truncated", Assert.Throws<PackedFormatException>(() => PackedDataset.Open(path)).Message);
        raw[0] = (byte)'X';
        File.WriteAllBytes(path, raw);
        Assert.Contains("magic", Assert.Throws<PackedFormatException>(() => PackedDataset.Open(path)).Message);
    }

    [Fact]
    public void A_writer_disposed_before_Complete_leaves_no_file()
    {
        string path = Path.Combine(_temp.Path, "d.smxp");
        using (var w = new PackedDatasetWriter(path, 4, ["a", "b"], PackedElementType.UInt8))
            w.Append(new byte[8], [0, 1]);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }
}

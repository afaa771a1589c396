using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

/// <summary>
/// Files made to hurt the readers: cut or damaged gzip, decompression bombs, endless devices, pipes, forged sizes.
/// Each is refused with a <see cref="DataFormatException"/> naming the file, after bounded memory.
/// </summary>
public class HostileDataTests
{
    private static byte[] Csv(int rows)
    {
        var text = new StringBuilder();
        var rng = new Random(1);
        for (int i = 0; i < rows; i++) text.Append(rng.Next(3)).Append(',').Append(rng.Next(100)).Append(',').Append(rng.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static byte[] LibSvm(int rows)
    {
        var text = new StringBuilder();
        for (int i = 0; i < rows; i++) text.Append(i % 3).Append(" 1:").Append(i % 7).Append(" 4:").Append(i % 11 * 0.5).Append('\n');
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public static TheoryData<string> Formats => new() { "data.csv.gz", "data.svm.gz" };

    private static byte[] Plain(string name) => name.Contains(".csv", StringComparison.Ordinal) ? Csv(20_000) : LibSvm(20_000);

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_gzip_file_cut_short_is_refused_not_read_in_part(string name)
    {
        using var dir = new TempDir();
        var gz = Gzip(Plain(name));
        Assert.Equal(20_000, DataLoader.Load(dir.Write(name, gz)).Rows);
        foreach (int cut in new[] { gz.Length / 2, gz.Length - 1, gz.Length - 8, gz.Length - 9 })
        {
            string path = dir.Write("cut-" + name, gz[..cut]);
            AssertFormatError(() => DataLoader.Load(path), path, contains: "truncated or corrupt");
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_flipped_bit_in_gzip_is_an_input_error_naming_the_file(string name)
    {
        using var dir = new TempDir();
        var gz = Gzip(Plain(name));
        var rng = new Random(7);
        // Past the 10-byte header: the deflate data, then the CRC and the length.
        foreach (int at in Enumerable.Range(0, 12).Select(_ => rng.Next(10, gz.Length - 8)).Concat([gz.Length - 8, gz.Length - 2]))
        {
            var bad = (byte[])gz.Clone();
            bad[at] ^= (byte)(1 << rng.Next(8));
            string path = dir.Write("flip-" + name, bad);
            AssertFormatError(() => DataLoader.Load(path), path);
        }
    }

    [Fact]
    public void A_record_without_end_costs_64_MiB_not_the_whole_stream()
    {
        using var dir = new TempDir();
        // 65 MiB of zeros in 65 KB of gzip: no line end, so it would be one record.
        string zeros = dir.Write("zeros.csv.gz", GzipOf(65 << 20, (byte)'0'));
        string quote = dir.Write("quote.csv.gz", GzipOf(65 << 20, (byte)'x', prefix: "1,\""u8.ToArray()));
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertFormatError(() => DataLoader.Load(zeros), zeros, record: 1, contains: "a record longer than 64 MiB (no line end, or an unclosed quote)");
        AssertFormatError(() => DataLoader.Load(quote), quote, record: 1, contains: "a record longer than 64 MiB");
        string svm = dir.Write("zeros.svm.gz", GzipOf(65 << 20, (byte)'0'));
        AssertFormatError(() => LibSvmReader.Read(svm), svm, record: 1, contains: "a record longer than 64 MiB (no line end)");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 3L * 200 << 20, $"allocated {allocated >> 20} MiB for three refusals");
    }

    [Fact]
    public void A_decompression_bomb_of_short_lines_is_refused_by_the_ratio_bound()
    {
        using var dir = new TempDir();
        // 300 rows "0 1:000…0" of 1 MiB each (valid LIBSVM, no line too long) compress ~1000:1, beyond the 512:1 bound
        // and the 256 MiB floor.
        string bomb = dir.Write("bomb.svm.gz", GzipOf(300 << 20, (byte)'0', row: true));
        var e = AssertFormatError(() => LibSvmReader.Read(bomb), bomb);
        Assert.True(e.Message.Contains("refused as a decompression bomb", StringComparison.Ordinal), e.Message);
        Assert.Contains($"{DataFiles.MaxDecodedLength(new FileInfo(bomb).Length)} bytes", e.Message);
    }

    private static byte[] GzipOf(long length, byte fill, byte[]? prefix = null, bool row = false)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal))
        {
            if (prefix is not null) gz.Write(prefix);
            var block = new byte[1 << 20];
            Array.Fill(block, fill);
            if (row)
            {
                "0 1:"u8.CopyTo(block);
                block[^1] = (byte)'\n';
            }
            for (long done = 0; done < length; done += block.Length) gz.Write(block);
        }
        return ms.ToArray();
    }

    [Fact]
    public void An_endless_device_ends_at_once()
    {
        var e = Assert.Throws<DataFormatException>(() => DataLoader.Load("/dev/zero"));
        Assert.StartsWith("/dev/zero: ", e.Message);
        Assert.Throws<DataFormatException>(() => CsvReader.Read("/dev/zero"));
        Assert.Throws<DataFormatException>(() => LibSvmReader.Read("/dev/zero"));
        Assert.Throws<DataFormatException>(() => NpyReader.Read("/dev/zero"));
    }

    [Fact]
    public async Task A_pipe_is_refused_by_name_without_losing_bytes_to_a_sniff()
    {
        using var dir = new TempDir();
        string fifo = dir.File("rows.csv");
        using (var mk = Process.Start("mkfifo", fifo)) await mk.WaitForExitAsync();
        var writer = Task.Run(() =>
        {
            try
            {
                using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                w.Write(Csv(10));
            }
            catch (IOException) { }   // the reader closed the pipe
        });
        AssertFormatError(() => DataLoader.Load(fifo), fifo, contains: "expected a regular file, found a pipe");
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_directory_where_a_file_belongs_is_named()
    {
        using var dir = new TempDir();
        string sub = Directory.CreateDirectory(dir.File("x.csv")).FullName;
        AssertFormatError(() => LibSvmReader.Read(sub), sub, contains: "found a directory");
    }

    [Theory]
    [InlineData("100000000")]
    [InlineData("2147483647")]
    [InlineData("99999999999")]
    public void A_libsvm_index_beyond_the_limit_is_refused_at_once(string index)
    {
        using var dir = new TempDir();
        string path = dir.WriteText("big.svm", $"1 1:1\n0 {index}:1\n");
        var e = AssertFormatError(() => LibSvmReader.Read(path), path, record: 2);
        Assert.EndsWith($"feature index {index} is above the limit of 16777216 features (2^24; see docs/formats.md)", e.Message);
    }

    [Theory]
    [InlineData("384773, 494770, 48448661")]
    [InlineData("1073741824, 1073741824, 16")]
    [InlineData("2147483647, 2147483647, 2147483647, 4")]
    public void A_npy_shape_whose_product_wraps_is_refused(string shape)
    {
        using var dir = new TempDir();
        string path = dir.Write("wrap.npy", NpyTests.RawNpy(1, "<f4", $"({shape})", new byte[16]));
        AssertFormatError(() => NpyReader.Read(path), path, contains: $"shape ({shape}) has more elements than any file can hold");
        AssertFormatError(() => NpyReader.Read(path, path), path);
    }
}

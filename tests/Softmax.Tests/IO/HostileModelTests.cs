using System.Buffers.Binary;
using System.IO.Hashing;
using Softmax.IO;
using Softmax.Tests.Model;

namespace Softmax.Tests.IO;

/// <summary>Model files made to hurt: forged sizes, endless streams, valid checksums over values no model can score with.</summary>
public sealed class HostileModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("softmax-hostile-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Recomputes the trailing XxHash64, so only the content check can refuse the file.</summary>
    public static byte[] Reseal(byte[] bytes)
    {
        ulong sum = XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), sum);
        return bytes;
    }

    private const int ThetaStart = 16 + 3 * 5;   // Tiny(): header, then three names of 4 + 1 bytes; θ has 15 doubles

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(int.MaxValue, 1 << 29)]   // C·D·8 wraps a long
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(1 << 20, 1 << 20)]        // no wrap, but 8 TiB of θ
    public void A_forged_header_is_refused_before_anything_is_allocated(int classes, int features)
    {
        var bytes = new byte[80];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, ModelFile.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), classes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), features);
        string path = Write("forged.softmax", bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated more than 1 MiB");
        Assert.StartsWith(path + ": ", e.Message);
        var span = Assert.Throws<ModelFormatException>(() => ModelFile.Deserialize(bytes, "forged.softmax"));
        Assert.Contains("truncated", span.Message);
        using var pipe = new NonSeekable(bytes);   // a FIFO: no length to check against
        Assert.Throws<ModelFormatException>(() => ModelFile.Load(pipe, "fifo"));
    }

    [Fact]
    public async Task An_endless_stream_ends_at_the_magic_number()
    {
        var load = Task.Run(() => Record.Exception(() => ModelFile.Load("/dev/zero")));
        var e = Assert.IsType<ModelFormatException>(await load.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("/dev/zero: not a Softmax model file (the magic number \"SMAX\" is missing)", e.Message);
    }

    [Fact]
    public void A_directory_is_not_a_model_file()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(_dir));
        Assert.Equal($"{_dir}: is a directory, not a model file", e.Message);
    }

    [Theory]
    [InlineData(1e300, "θ[3] is 1E+300")]
    [InlineData(-4e38, "θ[3] is -4E+38")]
    [InlineData(double.PositiveInfinity, "θ[3] is Infinity")]
    [InlineData(double.NaN, "θ[3] is NaN")]
    public void Parameters_beyond_float32_are_refused_with_the_reason(double value, string reason)
    {
        var bytes = ModelFile.Serialize(ModelFixtures.Tiny());
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(ThetaStart + 3 * 8), value);
        string path = Write("big.softmax", Reseal(bytes));
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.StartsWith(path + ": invalid model: " + reason, e.Message);
        Assert.Contains("finite in float32", e.Message);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void A_non_finite_preprocessing_mean_is_refused_with_the_feature(float value, string shown)
    {
        var bytes = ModelFile.Serialize(ModelFixtures.Tiny());
        // after θ: kind (1), scale (4), mean length (4), then the mean
        int mean = ThetaStart + 15 * 8 + 1 + 4 + 4;
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(mean)));
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(mean + 2 * 4), value);
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Deserialize(Reseal(bytes), "nan.softmax"));
        Assert.Equal($"nan.softmax: invalid model: The preprocessing mean of feature 2 is {shown}; it must be finite.", e.Message);
    }

    /// <summary>A read-only stream without Length or Seek, as a pipe is.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}

using CsCheck;
using Softmax.Data;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Data;

/// <summary>Random and mutated bytes: every binary reader returns data or throws <see cref="DataFormatException"/>.</summary>
public class ReaderFuzzTests
{
    internal static readonly Gen<(int, int, byte, int)[]> Mutations =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 1 << 20], Gen.Byte, Gen.Int[0, 3]).Array[1, 6];

    internal static byte[] Mutate(byte[] seed, (int Kind, int Where, byte Value, int Extra)[] mutations)
    {
        var list = seed.ToList();
        foreach (var (kind, where, value, extra) in mutations)
        {
            if (list.Count == 0) { list.Add(value); continue; }
            int at = where % list.Count;
            switch (kind)
            {
                case 0: list[at] = value; break;
                case 1: list[at] ^= (byte)(1 << (extra * 2 + 1)); break;
                case 2: list.RemoveRange(at, list.Count - at); break; // truncate
                case 3: list.Insert(at, value); break;
                case 4: list.RemoveAt(at); break;
                default: list[at] = 0xFF; break;
            }
        }
        return list.ToArray();
    }

    private static void ReadOrFormatError(Func<object> read)
    {
        try { Assert.NotNull(read()); }
        catch (DataFormatException) { }
    }

    private static void Check(byte[] seed, string name, Func<string, object> reader, bool gzipToo)
    {
        using var dir = new TempDir();
        string p = dir.File(name);
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            File.WriteAllBytes(p, bytes);
            ReadOrFormatError(() => reader(p));
        }, iter: 300, threads: 1);
        Mutations.Sample(m =>
        {
            var bytes = Mutate(seed, m);
            File.WriteAllBytes(p, bytes);
            ReadOrFormatError(() => reader(p));
            if (gzipToo)
            {
                File.WriteAllBytes(p, Mutate(Gzip(seed), m));
                ReadOrFormatError(() => reader(p));
            }
        }, iter: 1000, threads: 1);
    }

    [Fact]
    public void IdxImages() => Check(Idx([3, 4, 5], Pixels(60, 1)), "f-images-idx3-ubyte", p => IdxReader.ReadImages(p), gzipToo: true);

    [Fact]
    public void IdxLabels() => Check(Idx([7], [0, 1, 2, 3, 4, 5, 6]), "f-labels-idx1-ubyte", p => IdxReader.ReadLabels(p), gzipToo: true);

    [Fact]
    public void Cifar10() => Check(Cifar([[1], [9]], Pixels(2 * 3072, 2)), "data_batch_1.bin", p => CifarReader.Read(p), gzipToo: false);

    [Fact]
    public void Cifar100() => Check(Cifar([[1, 2], [19, 99]], Pixels(2 * 3072, 2)), "train.bin", p => CifarReader.Read(p, CifarVariant.Cifar100), gzipToo: false);

    [Fact]
    public void Npy() => Check(NpyTests.RawNpy(1, "<f4", "(3, 4)", new float[12].Select((_, i) => (float)i).SelectMany(BitConverter.GetBytes).ToArray()),
        "f.npy", p => NpyReader.Read(p), gzipToo: false);

    [Fact]
    public void NpyUint8() => Check(NpyTests.RawNpy(2, "|u1", "(3, 4)", Pixels(12, 3)), "g.npy", p => NpyReader.Read(p), gzipToo: false);

    [Fact]
    public void Header2Pow31ImagesAllocatesLittle()
    {
        using var dir = new TempDir();
        var header = Idx([1 << 30, 1, 2], Pixels(64, 1)); // claims 2^31 bytes of pixels
        foreach (var bytes in new[] { header, Gzip(header) })
        {
            string p = dir.Write("big-images-idx3-ubyte", bytes);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(p));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "the reader allocated for the claimed size");
        }
    }
}

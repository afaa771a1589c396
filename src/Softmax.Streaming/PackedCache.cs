using Softmax.Data;

namespace Softmax.Streaming;

/// <summary>
/// "Made on first use": the packed cache beside a source file (<c>data.csv</c> → <c>data.csv.smxp</c>). Any format
/// <see cref="DataLoader"/> reads (IDX, CSV, LIBSVM, NPY, CIFAR) is parsed once and packed; later runs open the
/// cache directly while it is newer than the source. The parse holds the source in memory once (the readers are
/// whole-file); the streamed passes after it do not.
/// </summary>
public static class PackedCache
{
    /// <summary>The cache path for <paramref name="source"/>.</summary>
    public static string PathFor(string source) => Path.GetFullPath(source) + ".smxp";

    /// <summary>Opens the cache of <paramref name="source"/>, (re)building it first when missing or older than the source.</summary>
    public static PackedDataset OpenOrCreate(string source, DataFormat format = DataFormat.Auto, DataLoadOptions? load = null, PackOptions? pack = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (source.EndsWith(".smxp", StringComparison.OrdinalIgnoreCase)) return PackedDataset.Open(source);
        string cache = PathFor(source);
        if (!File.Exists(cache) || File.GetLastWriteTimeUtc(cache) < File.GetLastWriteTimeUtc(source))
            PackedDataset.Pack(DataLoader.Load(source, format, load), cache, pack);
        return PackedDataset.Open(cache);
    }
}

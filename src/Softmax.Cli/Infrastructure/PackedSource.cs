using System.Security.Cryptography;
using System.Text;
using Softmax.Data;
using Softmax.Streaming;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// The packed file (<c>.smxp</c>) that streamed and distributed training read for a <see cref="DataSource"/>. A packed
/// file is used as it is. A single data file gets the library's cache beside it (<c>data.csv</c> →
/// <c>data.csv.smxp</c>), or, where that folder is not writable or the reader
/// settings are not the defaults, a cache in <see cref="CacheDirectory"/>. Named datasets and directories are packed
/// into <see cref="CacheDirectory"/> (never next to system data such as /usr/share/datasets). A cache is rebuilt when
/// older than its source. Only streamed or distributed training, or <c>softmax data pack</c>, makes these files.
/// </summary>
public static class PackedSource
{
    /// <summary><c>$SOFTMAX_CACHE</c>, else <c>$XDG_CACHE_HOME/softmax</c>, else <c>~/.cache/softmax</c>.</summary>
    public static string CacheDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("SOFTMAX_CACHE") is { Length: > 0 } root) return root;
            if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "softmax");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "softmax");
        }
    }

    /// <summary>
    /// The packed training rows of <paramref name="source"/>. With <paramref name="create"/>, a missing or stale cache
    /// is built (from <paramref name="loaded"/> when the rows are already in memory); without it, a missing cache is
    /// an error (the other MPI ranks, after rank 0 has built it).
    /// </summary>
    public static string Resolve(DataSource source, bool create, Dataset? loaded = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.IsPacked)
        {
            if (!File.Exists(source.Spec)) throw new FileNotFoundException($"No such file: {source.Spec}", source.Spec);
            return Path.GetFullPath(source.Spec);
        }
        if (!source.IsNamed && File.Exists(source.Spec))
        {
            string full = Path.GetFullPath(source.Spec);
            DateTime sourceTime = File.GetLastWriteTimeUtc(full);
            bool defaults = source.Format == DataFormat.Auto && source.LabelColumn is null;
            string beside = full + ".smxp";
            string cached = CachePath($"file|{full}|{source.Format}|{source.LabelColumn}", Path.GetFileName(full));
            if (defaults && Fresh(beside, sourceTime)) return beside;
            if (Fresh(cached, sourceTime)) return cached;
            Require(create, source);
            var data = loaded ?? DataLoader.Load(full, source.Format, source.LoadOptions());
            if (defaults)
            {
                try
                {
                    PackedDataset.Pack(data, beside);
                    return beside;
                }
                catch (UnauthorizedAccessException) { }   // a read-only folder: fall back to the cache directory
                catch (IOException) { }
            }
            return PackInto(cached, data);
        }
        if (source.IsNamed)
        {
            string name = NamedDatasets.Canonical(source.Spec)!;   // a named source: IsNamed checked it
            DateTime time = name == "digits"
                ? File.GetLastWriteTimeUtc(typeof(NamedDatasets).Assembly.Location)
                : Newest(NamedDatasets.Locate(name));
            string path = CachePath($"named|{name}|{(name == "digits" ? "" : NamedDatasets.Locate(name))}", name + "-train");
            if (Fresh(path, time)) return path;
            Require(create, source);
            return PackInto(path, loaded ?? NamedDatasets.Load(name).Train);
        }
        if (Directory.Exists(source.Spec))
        {
            string full = Path.GetFullPath(source.Spec);
            string path = CachePath($"dir|{full}|{source.Format}|{source.LabelColumn}", Path.GetFileName(full.TrimEnd('/')) + "-train");
            if (Fresh(path, Newest(full))) return path;
            Require(create, source);
            return PackInto(path, loaded ?? DataLoader.Load(full, source.Format, source.LoadOptions(DataSplit.Train)));
        }
        throw new FileNotFoundException($"No such file, directory or dataset name: {source.Spec}", source.Spec);
    }

    /// <summary>Bytes the loaded rows take in memory (features and labels), for the automatic switch to streaming.</summary>
    public static long DecodedBytes(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.Features.StorageBytes + (long)data.Rows * sizeof(int) + (data.SampleWeights?.LongLength ?? 0) * sizeof(float);
    }

    private static void Require(bool create, DataSource source)
    {
        if (!create)
            throw new FileNotFoundException($"The packed cache of {source.Spec} is missing or older than its source; rank 0 should have written it.");
    }

    private static string PackInto(string path, Dataset data)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        PackedDataset.Pack(data, path);
        return path;
    }

    private static bool Fresh(string cache, DateTime sourceTime) => File.Exists(cache) && File.GetLastWriteTimeUtc(cache) >= sourceTime;

    private static DateTime Newest(string directory) =>
        Directory.EnumerateFiles(directory).Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();

    private static string CachePath(string key, string stem)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        string safe = new(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return Path.Combine(CacheDirectory, $"{safe}-{hash}.smxp");
    }
}

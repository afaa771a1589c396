using System.Text;
using Softmax.Data;
using Softmax.IO;
using Softmax.Optimization;

namespace Softmax.Cli.Infrastructure;

/// <summary>One point of the CLI's own learning curve (accuracies the solver does not record).</summary>
public sealed record CurvePoint(int Epoch, double TrainAccuracy, double TestAccuracy);

/// <summary>
/// A training checkpoint: the solver's full <see cref="SolverState"/> (its vectors and scalars by name, the
/// early-stopping state), the run's settings (so a resume with different settings is refused) and the CLI's accuracy
/// curve. Layout (little-endian, see docs/formats.md): magic "SMXCKPT\0", int32 version, settings, state, curve, then
/// the XxHash64 of everything before it. Doubles are stored as their 8 bytes, so a resumed run continues bit for bit.
/// Version 1 (positional buffers, no early-stopping state) is refused with a message saying so.
/// </summary>
public static class CheckpointFile
{
    private static readonly byte[] Magic = "SMXCKPT\0"u8.ToArray();

    /// <summary>Current format version.</summary>
    public const int Version = 2;

    /// <summary>Writes atomically (temp file, then rename).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, string> settings, SolverState state, IReadOnlyList<CurvePoint> curve)
    {
        var bytes = ChecksummedFile.Frame(w =>
        {
            w.Write(Magic);
            w.Write(Version);
            WriteNamed(w, settings, (w, v) => w.Write(v));
            w.Write(state.Solver);
            w.Write(state.Iteration);
            w.Write(state.Epoch);
            w.Write(state.Evaluations);
            WriteNamed(w, state.Vectors, WriteDoubles);
            WriteNamed(w, state.Scalars, (w, v) => w.Write(v));
            WriteEarlyStopping(w, state.EarlyStopping);
            WriteHistory(w, state.History);
            w.Write(curve.Count);
            foreach (var c in curve) { w.Write(c.Epoch); w.Write(c.TrainAccuracy); w.Write(c.TestAccuracy); }
        });
        AtomicFile.WriteStream(path, s => s.Write(bytes));
    }

    /// <summary>
    /// Reads a checkpoint; a wrong magic, another version, truncation, a bad checksum or a malformed record is a
    /// <see cref="DataFormatException"/> naming the file.
    /// </summary>
    public static (Dictionary<string, string> Settings, SolverState State, List<CurvePoint> Curve) Load(string path)
    {
        var bytes = ReadBounded(path);
        if (bytes.Count < Magic.Length + 12 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new DataFormatException(path, null, "expected a softmax checkpoint (magic SMXCKPT), found something else");
        if (!ChecksummedFile.Verify(bytes, out _, out _))
            throw new DataFormatException(path, null, "the checkpoint's checksum does not match: the file is truncated or corrupted");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count - ChecksummedFile.ChecksumBytes), Encoding.UTF8);
            r.ReadBytes(Magic.Length);
            CheckVersion(path, r.ReadInt32());
            var settings = ReadNamed(r, path, "settings", 2, r => r.ReadString());
            var state = ReadState(r, path);
            var curve = Enumerable.Range(0, Count(r, path, "curve points", 20))
                .Select(_ => new CurvePoint(r.ReadInt32(), r.ReadDouble(), r.ReadDouble())).ToList();
            if (r.BaseStream.Position != r.BaseStream.Length)
                throw new DataFormatException(path, null, $"the checkpoint has {r.BaseStream.Length - r.BaseStream.Position} bytes after its last record");
            return (settings, state, curve);
        }
        catch (EndOfStreamException e)
        {
            throw new DataFormatException(path, null, "the checkpoint ends early", e);
        }
        catch (Exception e) when (e is IOException or FormatException)   // BinaryReader: a string length that is not a 7-bit encoded int
        {
            throw new DataFormatException(path, null, $"the checkpoint is malformed ({e.Message})", e);
        }
    }

    private static void CheckVersion(string path, int version)
    {
        if (version == Version) return;
        throw new DataFormatException(path, null, version is > 0 and < Version
            ? $"the checkpoint was written by an older version of softmax (checkpoint format {version}; this version reads format {Version}, which adds named solver state and early stopping); train afresh"
            : $"expected checkpoint format {Version}, found {version} (written by a newer or unknown version of softmax)");
    }

    private static SolverState ReadState(BinaryReader r, string path)
    {
        string solver = r.ReadString();
        int iteration = r.ReadInt32(), epoch = r.ReadInt32(), evaluations = r.ReadInt32();
        if (iteration < 0 || epoch < 0 || evaluations < 0)
            throw new DataFormatException(path, null, $"the checkpoint claims iteration {iteration}, {evaluations} evaluations and epoch {epoch}; none may be negative");
        var vectors = ReadNamed(r, path, "vectors", 5, ReadDoubles);
        var scalars = ReadNamed(r, path, "scalars", 9, r => r.ReadDouble());
        var earlyStopping = ReadEarlyStopping(r);
        var history = ReadHistory(r, path);
        return new SolverState(solver, iteration, epoch, evaluations, vectors, scalars, history, earlyStopping);
    }

    /// <summary>int32 count, then (string name, value) pairs sorted by name, so equal states give equal bytes.</summary>
    private static void WriteNamed<T>(BinaryWriter w, IReadOnlyDictionary<string, T> values, Action<BinaryWriter, T> write)
    {
        w.Write(values.Count);
        foreach (var (name, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal)) { w.Write(name); write(w, value); }
    }

    private static Dictionary<string, T> ReadNamed<T>(BinaryReader r, string path, string what, int minBytes, Func<BinaryReader, T> read)
    {
        int n = Count(r, path, what, minBytes);
        var values = new Dictionary<string, T>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            string name = r.ReadString();
            if (!values.TryAdd(name, read(r))) throw new DataFormatException(path, i + 1, $"the checkpoint's {what} name '{name}' appears twice");
        }
        return values;
    }

    /// <summary>bool present; then bool has-best (+ doubles), f64 best accuracy, f64 best loss, int32 validations since.</summary>
    private static void WriteEarlyStopping(BinaryWriter w, EarlyStoppingState? es)
    {
        w.Write(es is not null);
        if (es is null) return;
        w.Write(es.Best is not null);
        if (es.Best is not null) WriteDoubles(w, es.Best);
        w.Write(es.BestAccuracy);
        w.Write(es.BestLoss);
        w.Write(es.SinceBest);
    }

    private static EarlyStoppingState? ReadEarlyStopping(BinaryReader r)
    {
        if (!r.ReadBoolean()) return null;
        var best = r.ReadBoolean() ? ReadDoubles(r) : null;
        double accuracy = r.ReadDouble(), loss = r.ReadDouble();
        int since = r.ReadInt32();
        if (since < 0) throw new FormatException($"early stopping counts {since} validations since the best");
        return new EarlyStoppingState(best, accuracy, since) { BestLoss = loss };
    }

    private static void WriteHistory(BinaryWriter w, IReadOnlyList<HistoryEntry> history)
    {
        w.Write(history.Count);
        foreach (var h in history)
        {
            w.Write(h.Iteration);
            w.Write(h.Epoch);
            w.Write(h.Evaluations);
            w.Write(h.Loss);
            w.Write(h.GradientNorm);
            WriteOptional(w, h.ValidationAccuracy);
            WriteOptional(w, h.ValidationLoss);
            w.Write(h.Seconds);
        }
    }

    private static HistoryEntry[] ReadHistory(BinaryReader r, string path) =>
        Enumerable.Range(0, Count(r, path, "history entries", 46)).Select(_ =>
        {
            int iteration = r.ReadInt32(), epoch = r.ReadInt32(), evaluations = r.ReadInt32();
            return new HistoryEntry(iteration, epoch, r.ReadDouble(), r.ReadDouble(), ReadOptional(r), ReadOptional(r), r.ReadDouble()) { Evaluations = evaluations };
        }).ToArray();

    /// <summary>The file's bytes; a pipe, a device or a file over 2 GiB is refused before anything is read.</summary>
    private static ArraySegment<byte> ReadBounded(string path)
    {
        if (Directory.Exists(path)) throw new DataFormatException(path, null, "expected a checkpoint file, found a directory");
        if (!File.Exists(path)) throw new FileNotFoundException($"No such checkpoint file: {path}", path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        if (!fs.CanSeek || fs.Length > Array.MaxLength)
            throw new DataFormatException(path, null, "expected a checkpoint file, found a pipe, a device or a file too large to be one");
        return ChecksummedFile.ReadAtMost(fs, [], Array.MaxLength)
            ?? throw new DataFormatException(path, null, "expected a checkpoint file, found one that grew past the size a checkpoint may have");
    }

    /// <summary>A count read from the file, refused when negative or when the bytes left cannot hold that many items of at least <paramref name="minBytes"/> each.</summary>
    private static int Count(BinaryReader r, string path, string what, int minBytes)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || (long)n * minBytes > left)
            throw new DataFormatException(path, null, $"the checkpoint claims {n} {what}, which its remaining {left} bytes cannot hold");
        return n;
    }

    private static void WriteDoubles(BinaryWriter w, double[] values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    private static double[] ReadDoubles(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0 || (long)n * 8 > r.BaseStream.Length - r.BaseStream.Position) throw new EndOfStreamException();
        return Enumerable.Range(0, n).Select(_ => r.ReadDouble()).ToArray();
    }

    private static void WriteOptional(BinaryWriter w, double? value)
    {
        w.Write(value.HasValue);
        w.Write(value ?? 0);
    }

    // The flag, then the value (written as 0 when absent): both are read.
    private static double? ReadOptional(BinaryReader r) => (r.ReadBoolean(), r.ReadDouble()) is (true, var v) ? v : null;
}

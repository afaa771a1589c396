using Softmax.IO;
using System.IO.Hashing;
using System.Text;
using Softmax.Data;
using Softmax.Optimization;

namespace Softmax.Cli.Infrastructure;

/// <summary>One point of the CLI's own learning curve (accuracies the solver does not record).</summary>
public sealed record CurvePoint(int Epoch, double TrainAccuracy, double TestAccuracy);

/// <summary>
/// A training checkpoint: the solver's full <see cref="SolverState"/>, the run's settings (so a resume with different
/// settings is refused) and the CLI's accuracy curve. Layout (little-endian, see docs/formats.md): magic
/// "SMXCKPT\0", int32 version, settings, state, curve, then the XxHash64 of everything before it. Doubles are
/// stored as their 8 bytes, so a resumed run continues bit for bit.
/// </summary>
public static class CheckpointFile
{
    private static readonly byte[] Magic = "SMXCKPT\0"u8.ToArray();

    /// <summary>Current format version.</summary>
    public const int Version = 1;

    /// <summary>Writes atomically (temp file, then rename).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, string> settings, SolverState state, IReadOnlyList<CurvePoint> curve)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(settings.Count);
            foreach (var (k, v) in settings.OrderBy(p => p.Key, StringComparer.Ordinal)) { w.Write(k); w.Write(v); }
            w.Write(state.Solver);
            w.Write(state.Iteration);
            w.Write(state.Epoch);
            w.Write(state.Buffers.Length);
            foreach (var b in state.Buffers) WriteDoubles(w, b);
            WriteDoubles(w, state.Scalars);
            w.Write(state.History.Count);
            foreach (var h in state.History)
            {
                w.Write(h.Iteration);
                w.Write(h.Epoch);
                w.Write(h.Loss);
                w.Write(h.GradientNorm);
                WriteOptional(w, h.ValidationAccuracy);
                WriteOptional(w, h.ValidationLoss);
                w.Write(h.Seconds);
            }
            w.Write(curve.Count);
            foreach (var c in curve) { w.Write(c.Epoch); w.Write(c.TrainAccuracy); w.Write(c.TestAccuracy); }
        }
        ulong hash = XxHash64.HashToUInt64(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        buffer.Write(BitConverter.GetBytes(hash));
        AtomicFile.WriteStream(path, s => s.Write(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>Reads a checkpoint; a wrong magic, newer version, truncation or bad checksum is a <see cref="DataFormatException"/>.</summary>
    public static (Dictionary<string, string> Settings, SolverState State, List<CurvePoint> Curve) Load(string path)
    {
        var bytes = ReadBounded(path);
        if (bytes.Length < Magic.Length + 12 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new DataFormatException(path, null, "expected a softmax checkpoint (magic SMXCKPT), found something else");
        ulong stored = BitConverter.ToUInt64(bytes, bytes.Length - 8);
        if (XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8)) != stored)
            throw new DataFormatException(path, null, "the checkpoint's checksum does not match: the file is truncated or corrupted");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - 8), Encoding.UTF8);
            r.ReadBytes(Magic.Length);
            int version = r.ReadInt32();
            if (version != Version) throw new DataFormatException(path, null, $"expected checkpoint version {Version}, found {version}");
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            int n = Count(r, path, "settings", 2);
            for (int i = 0; i < n; i++) settings[r.ReadString()] = r.ReadString();
            string solver = r.ReadString();
            int iteration = r.ReadInt32(), epoch = r.ReadInt32();
            if (iteration < 0 || epoch < 0)
                throw new DataFormatException(path, null, $"the checkpoint claims iteration {iteration} and epoch {epoch}; neither may be negative");
            var buffers = new double[Count(r, path, "buffers", 4)][];
            for (int i = 0; i < buffers.Length; i++) buffers[i] = ReadDoubles(r);
            var scalars = ReadDoubles(r);
            var history = new HistoryEntry[Count(r, path, "history entries", 42)];
            for (int i = 0; i < history.Length; i++)
                history[i] = new HistoryEntry(r.ReadInt32(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), ReadOptional(r), ReadOptional(r), r.ReadDouble());
            var curve = new List<CurvePoint>();
            int points = Count(r, path, "curve points", 20);
            for (int i = 0; i < points; i++) curve.Add(new CurvePoint(r.ReadInt32(), r.ReadDouble(), r.ReadDouble()));
            return (settings, new SolverState(solver, iteration, epoch, buffers, scalars, history), curve);
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

    /// <summary>The file's bytes; a pipe, a device or a file over 2 GiB is refused before anything is read.</summary>
    private static byte[] ReadBounded(string path)
    {
        if (Directory.Exists(path)) throw new DataFormatException(path, null, "expected a checkpoint file, found a directory");
        if (!File.Exists(path)) throw new FileNotFoundException($"No such checkpoint file: {path}", path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        if (!fs.CanSeek || fs.Length > Array.MaxLength)
            throw new DataFormatException(path, null, "expected a checkpoint file, found a pipe, a device or a file too large to be one");
        var bytes = new byte[fs.Length];
        fs.ReadExactly(bytes);
        return bytes;
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
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = r.ReadDouble();
        return values;
    }

    private static void WriteOptional(BinaryWriter w, double? value)
    {
        w.Write(value.HasValue);
        w.Write(value ?? 0);
    }

    private static double? ReadOptional(BinaryReader r)
    {
        bool has = r.ReadBoolean();
        double v = r.ReadDouble();
        return has ? v : null;
    }
}

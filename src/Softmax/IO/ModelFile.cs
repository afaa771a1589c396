using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.IO;

/// <summary>
/// Saves and loads a <see cref="SoftmaxModel"/> in the versioned binary format below. All values are
/// little-endian; strings are a uint32 byte count followed by that many UTF-8 bytes; "f64" values are IEEE-754
/// doubles stored bit for bit, so θ round-trips exactly.
/// <code>
/// offset  type                 field
/// 0       4 bytes              magic "SMAX" (53 4D 41 58; uint32 0x58414D53)
/// 4       uint32               format version: 3 (this build writes 3 and reads 1, 2 and 3)
/// 8       int32                C, number of classes (≥ 1)
/// 12      int32                D, number of features (≥ 1)
///         C × string           class names, by class index
///         (C·D + C) × f64      θ: W (C×D, row-major), then b (C)
///         -- preprocessing --
///         uint8                kind (0 None, 1 Scale, 2 Center, 3 Standardize)
///         f32                  scale
///         int32                mean length: −1 absent, else D; then that many f32
///         int32                inverse-std length: −1 absent, else D; then that many f32
///         -- image shape --
///         uint8                0 absent, 1 present; when present: int32 height, int32 width, int32 channels,
///                              uint8 channel-planar (0/1)
///         -- training info --
///         string solver; f64 L2; f64 L1; f64 objective; int32 rows; int32 iterations;
///         int32 epochs (−1 for L-BFGS, which has none); int32 evaluations (L-BFGS; −1 for a mini-batch solver)
///                              [v1, v2: one int32 count, the evaluations for L-BFGS, else the epochs];
///         string stop reason; int32 seed; f64 seconds;
///         int32 settings count K, then K × (string key, string value); the key "history" holds the learning curve
///                              (TrainingInfo.History): records separated by ';', each "iteration,epoch,loss,
///                              gradient norm,validation accuracy,validation loss,seconds" (invariant round-trip
///                              numbers; an empty field for a missing validation score)
///         -- input schema (v3: uint8 0 default, 1 present; v2: always present; v1: always the default) --
///         (the default schema is f0…, or pixel positions)
///         uint8 flags (bit 0: columns are matched by name, bit 1: NaN is a missing value, bit 2: missing values are imputed)
///         int32 column count K, then K × column:
///             string name; uint8 kind (0 numeric, 1 categorical); uint8 missing indicator (0/1);
///             f32 fill (numeric: the imputed value); int32 fill category (categorical: the imputed level, −1 none);
///             int32 category count L, then L × string (the one-hot levels, in feature order)
///         -- checksum --
///         uint64               XxHash64 (seed 0) of every byte before it
/// </code>
/// The file ends right after the checksum. <see cref="Save"/> writes a temporary file in the target directory and
/// renames it over the target, so a reader never sees half a file. <see cref="Load(string)"/> rejects a wrong magic,
/// a newer version, a truncated or over-long file and a checksum mismatch with a <see cref="ModelFormatException"/>.
/// </summary>
public static class ModelFile
{
    /// <summary>"SMAX" read as a little-endian uint32.</summary>
    public const uint Magic = 0x58414D53;

    /// <summary>The format version this build writes, the newest it reads.</summary>
    public const int Version = 3;

    private const int ChecksumBytes = 8;

    private const string HistoryKey = "history";

    private static string HistoryText(IReadOnlyList<Optimization.HistoryEntry> history)
    {
        static string D(double? v) => v is { } x ? x.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "";
        return string.Join(';', history.Select(h => FormattableString.Invariant(
            $"{h.Iteration},{h.Epoch},{D(h.Loss)},{D(h.GradientNorm)},{D(h.ValidationAccuracy)},{D(h.ValidationLoss)},{D(h.Seconds)}")));
    }

    private static Optimization.HistoryEntry[] ParseHistory(string text, string file)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var records = text.Split(';', StringSplitOptions.RemoveEmptyEntries);
        var history = new Optimization.HistoryEntry[records.Length];
        for (int i = 0; i < records.Length; i++)
        {
            var f = records[i].Split(',');
            double? Opt(string v) => v.Length == 0 ? null : double.Parse(v, System.Globalization.NumberStyles.Float, inv);
            try
            {
                if (f.Length != 7) throw new FormatException($"{f.Length} fields");
                history[i] = new Optimization.HistoryEntry(int.Parse(f[0], inv), int.Parse(f[1], inv), Opt(f[2]) ?? double.NaN,
                    Opt(f[3]) ?? double.NaN, Opt(f[4]), Opt(f[5]), Opt(f[6]) ?? 0);
            }
            catch (FormatException e)
            {
                throw new ModelFormatException(file, $"corrupted: history record {i + 1} is '{records[i]}', expected 7 comma-separated numbers ({e.Message})", e);
            }
        }
        return history;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public static void Save(SoftmaxModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = Serialize(model);
        AtomicFile.WriteStream(path, stream => stream.Write(bytes), createDirectory: false);
    }

    /// <summary>The file's bytes, checksum included.</summary>
    public static byte[] Serialize(SoftmaxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write((uint)Version);
            w.Write(model.Classes);
            w.Write(model.Features);
            foreach (var name in model.ClassNames) WriteString(w, name);
            foreach (var v in model.Parameters) w.Write(v);

            var pre = model.Preprocessor;
            w.Write((byte)pre.Kind);
            w.Write(pre.Scale);
            WriteFloats(w, pre.Mean);
            WriteFloats(w, pre.InverseStd);

            if (model.Image is { } image)
            {
                w.Write((byte)1);
                w.Write(image.Height);
                w.Write(image.Width);
                w.Write(image.Channels);
                w.Write((byte)(image.ChannelPlanar ? 1 : 0));
            }
            else w.Write((byte)0);

            var t = model.Training;
            WriteString(w, t.Solver);
            w.Write(t.L2);
            w.Write(t.L1);
            w.Write(t.Objective);
            w.Write(t.Rows);
            w.Write(t.Iterations);
            w.Write(t.Epochs ?? -1);
            w.Write(t.Evaluations ?? -1);
            WriteString(w, t.StopReason);
            w.Write(t.Seed);
            w.Write(t.Seconds);
            var all = new Dictionary<string, string>(t.Settings, StringComparer.Ordinal);
            if (t.History.Count > 0) all[HistoryKey] = HistoryText(t.History);
            var settings = all.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
            w.Write(settings.Length);
            foreach (var (key, value) in settings)
            {
                WriteString(w, key);
                WriteString(w, value);
            }
            w.Write((byte)(model.HasSchema ? 1 : 0));
            if (model.HasSchema) WriteSchema(w, model.Schema);
        }
        ulong checksum = XxHash64.HashToUInt64(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        Span<byte> tail = stackalloc byte[ChecksumBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(tail, checksum);
        buffer.Write(tail);
        return buffer.ToArray();
    }

    private static long MaxFileBytes => Array.MaxLength;   // the bytes must fit one array

    private const int HeaderBytes = 16;

    /// <summary>Reads a model file.</summary>
    public static SoftmaxModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new ModelFormatException(path, "is a directory, not a model file");
        if (!File.Exists(path)) throw new FileNotFoundException($"No such model file: {path}", path);
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>
    /// Reads a model from <paramref name="stream"/>; <paramref name="nameForErrors"/> names it in errors. The header
    /// is checked before the rest is read, and no more than the header's sizes allow is ever read or allocated, so
    /// an endless or hostile stream (<c>/dev/zero</c>, a forged class count) ends at once with a <see cref="ModelFormatException"/>.
    /// </summary>
    public static SoftmaxModel Load(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        nameForErrors ??= "<stream>";
        var header = new byte[HeaderBytes];
        int got = stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
        long minimum = MinimumBytes(header.AsSpan(0, got), nameForErrors);
        if (minimum > MaxFileBytes)
            throw new ModelFormatException(nameForErrors,
                $"the header's class and feature counts need more than the {MaxFileBytes} bytes a model file may have");
        if (stream.CanSeek && stream.Length - stream.Position + got < minimum)
            throw new ModelFormatException(nameForErrors,
                $"truncated: the header's sizes need at least {minimum} bytes, but the file has {stream.Length - stream.Position + got}");
        using var copy = new MemoryStream();
        copy.Write(header, 0, got);
        var chunk = new byte[1 << 16];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            if (copy.Length + n > MaxFileBytes)
                throw new ModelFormatException(nameForErrors, $"longer than the {MaxFileBytes} bytes a model file may have");
            copy.Write(chunk, 0, n);
        }
        return Deserialize(copy.GetBuffer().AsSpan(0, (int)copy.Length), nameForErrors);
    }

    /// <summary>Checks magic, version and sizes of the first 16 bytes; returns the least file length they imply (checked arithmetic).</summary>
    private static long MinimumBytes(ReadOnlySpan<byte> header, string name)
    {
        if (header.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
            throw new ModelFormatException(name, "not a Softmax model file (the magic number \"SMAX\" is missing)");
        if (header.Length < HeaderBytes)
            throw new ModelFormatException(name, $"truncated: {header.Length} bytes, shorter than the {HeaderBytes}-byte header");
        int C = BinaryPrimitives.ReadInt32LittleEndian(header[8..]), D = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        if (C < 1 || D < 1) return HeaderBytes;   // Deserialize names the bad count
        // θ (C·D + C doubles), one length word per class name, the checksum: at most 2^31·2^31·8, which fits a long only just, so check.
        try { return checked(HeaderBytes + ((long)C * D + C) * 8 + (long)C * 4 + ChecksumBytes); }
        catch (OverflowException) { return long.MaxValue; }
    }

    /// <summary>Parses the bytes of a model file.</summary>
    public static SoftmaxModel Deserialize(ReadOnlySpan<byte> bytes, string nameForErrors)
    {
        var r = new Reader(bytes, nameForErrors);
        if (bytes.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new ModelFormatException(nameForErrors, "not a Softmax model file (the magic number \"SMAX\" is missing)");
        r.Skip(4);
        uint version = r.UInt32("the format version");
        if (version > Version)
            throw new ModelFormatException(nameForErrors, $"written by a newer version (v{version}); this build reads v{Version}");
        if (version < 1) throw new ModelFormatException(nameForErrors, $"unknown format version v{version}");

        int C = r.Int32("the class count"), D = r.Int32("the feature count");
        if (C < 1) throw r.Invalid($"the class count is {C}; it must be at least 1");
        if (D < 1) throw r.Invalid($"the feature count is {D}; it must be at least 1");
        long dimension = (long)C * D + C;   // < 2^62: no overflow
        if (dimension > r.Remaining / 8)
            throw new ModelFormatException(nameForErrors,
                $"truncated: {C} classes × {D} features need {dimension} parameters ({dimension} × 8 bytes), but only {r.Remaining} bytes remain (file length {bytes.Length})");
        r.Need(dimension * 8 + (long)C * 4, $"{C} class names and {dimension} parameters");
        var names = new string[C];
        for (int c = 0; c < C; c++) names[c] = r.String($"the name of class {c}");
        var theta = r.Doubles(dimension, "the parameters θ");

        byte kind = r.Byte("the preprocessing kind");
        if (kind > (byte)PreprocessKind.Standardize) throw r.Invalid($"unknown preprocessing kind {kind}");
        float scale = r.Single("the preprocessing scale");
        var mean = r.OptionalFloats(D, "the preprocessing mean");
        var inverseStd = r.OptionalFloats(D, "the preprocessing inverse deviation");

        ImageShape? image = null;
        if (r.Flag("the image-shape flag"))
        {
            int h = r.Int32("the image height"), w = r.Int32("the image width"), ch = r.Int32("the image channels");
            byte planar = r.Byte("the channel layout");
            if (h < 1 || w < 1 || ch < 1 || planar > 1) throw r.Invalid($"invalid image shape {h}x{w}x{ch} (layout {planar})");
            image = new ImageShape(h, w, ch, planar == 1);
        }

        string solver = r.String("the solver name");
        double l2 = r.Double("λ2"), l1 = r.Double("λ1"), objective = r.Double("the objective");
        int rows = r.Int32("the training rows"), iterations = r.Int32("the iterations");
        int? epochs = r.Int32("the epochs"), evaluations = version >= 3 ? r.Int32("the evaluations") : null;
        string stop = r.String("the stop reason");
        int seed = r.Int32("the seed");
        double seconds = r.Double("the training time");
        int count = r.Int32("the settings count");
        if (count < 0) throw r.Invalid($"the settings count is {count}");
        r.Need((long)count * 8, $"{count} settings");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string key = r.String($"setting {i}'s key");
            settings[key] = r.String($"setting '{key}'");
        }

        // v1 and v2 kept one count: L-BFGS's evaluations (it has no epochs), else the epochs.
        if (version < 3 && (solver == "lbfgs" || settings.ContainsKey("lbfgs_history"))) (epochs, evaluations) = (null, epochs);
        (epochs, evaluations) = (epochs < 0 ? null : epochs, evaluations < 0 ? null : evaluations);
        InputSchema? schema = (version == 2 || (version >= 3 && r.Flag("the schema flag"))) ? ReadSchema(ref r) : null;

        int body = r.Position;
        if (bytes.Length - body < ChecksumBytes)
            throw new ModelFormatException(nameForErrors, $"truncated: the file ends {ChecksumBytes - (bytes.Length - body)} bytes short of its checksum ({bytes.Length} bytes, expected {body + ChecksumBytes})");
        if (bytes.Length - body > ChecksumBytes)
            throw new ModelFormatException(nameForErrors, $"corrupted: {bytes.Length - body - ChecksumBytes} unexpected bytes after the checksum");
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes[body..]);
        ulong actual = XxHash64.HashToUInt64(bytes[..body]);
        if (stored != actual)
            throw new ModelFormatException(nameForErrors, $"corrupted: checksum mismatch (stored {stored:X16}, computed {actual:X16})");

        try
        {
            var pre = new Preprocessor((PreprocessKind)kind, scale, mean, inverseStd);
            var history = settings.Remove(HistoryKey, out var historyText) ? ParseHistory(historyText, nameForErrors) : [];
            var info = new TrainingInfo
            {
                Solver = solver, L2 = l2, L1 = l1, Objective = objective, Rows = rows, Iterations = iterations,
                Epochs = epochs, Evaluations = evaluations, StopReason = stop, Seed = seed, Seconds = seconds, Settings = settings,
                History = history,
            };
            return schema is null ? new SoftmaxModel(theta, names, D, pre, image, info)
                : new SoftmaxModel(theta, names, D, pre, image, info) { Schema = schema };
        }
        catch (Exception e) when (e is ArgumentException)
        {
            throw new ModelFormatException(nameForErrors, $"invalid model: {e.Message}", e);
        }
    }

    private static void WriteSchema(BinaryWriter w, InputSchema schema)
    {
        w.Write((byte)((schema.Named ? 1 : 0) | (schema.NanIsMissing ? 2 : 0) | (schema.Imputes ? 4 : 0)));
        w.Write(schema.Columns.Count);
        foreach (var c in schema.Columns)
        {
            WriteString(w, c.Name);
            w.Write((byte)c.Kind);
            w.Write((byte)(c.MissingIndicator ? 1 : 0));
            w.Write(c.Fill);
            w.Write(c.FillCategory);
            w.Write(c.Categories.Count);
            foreach (var level in c.Categories) WriteString(w, level);
        }
    }

    private static InputSchema ReadSchema(ref Reader r)
    {
        byte flags = r.Byte("the schema flags");
        if (flags > 7) throw r.Invalid($"unknown schema flags {flags}");
        int count = r.Int32("the schema column count");
        if (count < 1) throw r.Invalid($"the schema column count is {count}");
        r.Need((long)count * 18, $"{count} schema columns");
        var columns = new InputColumn[count];
        for (int k = 0; k < count; k++)
        {
            string name = r.String($"schema column {k}'s name");
            byte kind = r.Byte($"column '{name}''s kind"), indicator = r.Byte($"column '{name}''s indicator flag");
            if (kind > 1 || indicator > 1) throw r.Invalid($"column '{name}': kind {kind}, indicator {indicator}");
            float fill = r.Single($"column '{name}''s fill");
            int fillCategory = r.Int32($"column '{name}''s fill category");
            int levels = r.Int32($"column '{name}''s category count");
            if (levels < 0 || (kind == 0 && levels != 0)) throw r.Invalid($"column '{name}' has {levels} categories");
            r.Need((long)levels * 4, $"column '{name}''s {levels} categories");
            var categories = new string[levels];
            for (int i = 0; i < levels; i++) categories[i] = r.String($"column '{name}''s category {i}");
            columns[k] = new InputColumn(name, (ColumnKind)kind)
            {
                Categories = categories, Fill = fill, FillCategory = fillCategory, MissingIndicator = indicator == 1,
            };
        }
        try { return new InputSchema(columns, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0); }
        catch (ArgumentException e) { throw r.Invalid(e.Message); }
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((uint)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteFloats(BinaryWriter w, float[]? values)
    {
        if (values is null) { w.Write(-1); return; }
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    /// <summary>A bounds-checked little-endian cursor: every length is checked against the bytes left before use.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, string name)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private readonly string _name = name;

        public int Position { get; private set; }

        public readonly long Remaining => _bytes.Length - Position;

        public readonly ModelFormatException Invalid(string problem) => new(_name, $"invalid at byte {Position}: {problem}");

        public readonly void Need(long count, string what)
        {
            if (count > Remaining)
                throw new ModelFormatException(_name,
                    $"truncated: {what} need {count} bytes at offset {Position}, but only {Remaining} remain (file length {_bytes.Length})");
        }

        private ReadOnlySpan<byte> Take(long count, string what)
        {
            Need(count, what);
            var span = _bytes.Slice(Position, (int)count);
            Position += (int)count;
            return span;
        }

        public void Skip(int count) => Take(count, "the header");

        public byte Byte(string what) => Take(1, what)[0];

        public bool Flag(string what) => Byte(what) switch
        {
            0 => false,
            1 => true,
            var b => throw Invalid($"{what} is {b}, expected 0 or 1"),
        };

        public int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

        public float Single(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));

        public double Double(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

        public string String(string what)
        {
            uint length = UInt32(what + " (length)");
            var raw = Take(length, what);
            try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(raw); }
            catch (DecoderFallbackException) { throw Invalid($"{what} is not valid UTF-8"); }
        }

        public double[] Doubles(long count, string what)
        {
            var raw = Take(count * 8, what);
            var values = new double[count];
            for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
            return values;
        }

        public float[]? OptionalFloats(int features, string what)
        {
            int length = Int32(what + " (length)");
            if (length == -1) return null;
            if (length != features) throw Invalid($"{what} has {length} values; the model has {features} features");
            var raw = Take((long)length * 4, what);
            var values = new float[length];
            for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
            return values;
        }
    }
}

using System.Buffers.Binary;
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
public static partial class ModelFile
{
    /// <summary>"SMAX" read as a little-endian uint32.</summary>
    public const uint Magic = 0x58414D53;

    /// <summary>The format version this build writes, the newest it reads.</summary>
    public const int Version = 3;

    private const int ChecksumBytes = ChecksummedFile.ChecksumBytes;

    private const string HistoryKey = "history";

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
        return ChecksummedFile.Frame(w =>
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

            WriteImage(w, model.Image);
            WriteTraining(w, model.Training);
            w.Write((byte)(model.HasSchema ? 1 : 0));
            if (model.HasSchema) WriteSchema(w, model.Schema);
        });
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
        var bytes = ChecksummedFile.ReadAtMost(stream, header.AsSpan(0, got), MaxFileBytes)
                    ?? throw new ModelFormatException(nameForErrors, $"longer than the {MaxFileBytes} bytes a model file may have");
        return Deserialize(bytes, nameForErrors);
    }

    private static void CheckMagic(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new ModelFormatException(name, "not a Softmax model file (the magic number \"SMAX\" is missing)");
    }

    /// <summary>Checks magic, version and sizes of the first 16 bytes; returns the least file length they imply (checked arithmetic).</summary>
    private static long MinimumBytes(ReadOnlySpan<byte> header, string name)
    {
        CheckMagic(header, name);
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
        CheckMagic(bytes, nameForErrors);
        var r = new Reader(bytes, nameForErrors);
        r.UInt32("the magic number");
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

        var image = ReadImage(ref r);
        var (info, settings) = ReadTraining(ref r, version);
        InputSchema? schema = (version == 2 || (version >= 3 && r.Flag("the schema flag"))) ? ReadSchema(ref r) : null;

        int body = r.Position;
        if (bytes.Length - body < ChecksumBytes)
            throw new ModelFormatException(nameForErrors, $"truncated: the file ends {ChecksumBytes - (bytes.Length - body)} bytes short of its checksum ({bytes.Length} bytes, expected {body + ChecksumBytes})");
        if (bytes.Length - body > ChecksumBytes)
            throw new ModelFormatException(nameForErrors, $"corrupted: {bytes.Length - body - ChecksumBytes} unexpected bytes after the checksum");
        if (!ChecksummedFile.Verify(bytes, out ulong stored, out ulong actual))
            throw new ModelFormatException(nameForErrors, $"corrupted: checksum mismatch (stored {stored:X16}, computed {actual:X16})");

        try
        {
            var pre = new Preprocessor((PreprocessKind)kind, scale, mean, inverseStd);
            // The history is parsed only now that the checksum has vouched for its bytes.
            if (settings.Remove(HistoryKey, out var historyText)) info = info with { History = ParseHistory(historyText, nameForErrors) };
            return schema is null ? new SoftmaxModel(theta, names, D, pre, image, info)
                : new SoftmaxModel(theta, names, D, pre, image, info) { Schema = schema };
        }
        catch (Exception e) when (e is ArgumentException)
        {
            throw new ModelFormatException(nameForErrors, $"invalid model: {e.Message}", e);
        }
    }
}

using System.Text;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.IO;

/// <summary>The sections of the model file after θ and the preprocessing (layout in <see cref="ModelFile"/>'s summary).</summary>
public static partial class ModelFile
{
    private static void WriteImage(BinaryWriter w, ImageShape? image)
    {
        w.Write((byte)(image is null ? 0 : 1));
        if (image is null) return;
        w.Write(image.Height);
        w.Write(image.Width);
        w.Write(image.Channels);
        w.Write((byte)(image.ChannelPlanar ? 1 : 0));
    }

    private static ImageShape? ReadImage(ref Reader r)
    {
        if (!r.Flag("the image-shape flag")) return null;
        int h = r.Int32("the image height"), w = r.Int32("the image width"), ch = r.Int32("the image channels");
        byte planar = r.Byte("the channel layout");
        if (h < 1 || w < 1 || ch < 1 || planar > 1) throw r.Invalid($"invalid image shape {h}x{w}x{ch} (layout {planar})");
        return new ImageShape(h, w, ch, planar == 1);
    }

    private static void WriteTraining(BinaryWriter w, TrainingInfo t)
    {
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
    }

    /// <summary>The training info, without its history, and its settings (the history still under <see cref="HistoryKey"/>).</summary>
    private static (TrainingInfo Info, Dictionary<string, string> Settings) ReadTraining(ref Reader r, uint version)
    {
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
        var info = new TrainingInfo
        {
            Solver = solver, L2 = l2, L1 = l1, Objective = objective, Rows = rows, Iterations = iterations,
            Epochs = epochs < 0 ? null : epochs, Evaluations = evaluations < 0 ? null : evaluations,
            StopReason = stop, Seed = seed, Seconds = seconds, Settings = settings,
        };
        return (info, settings);
    }

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
}

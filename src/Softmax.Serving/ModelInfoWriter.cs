using System.Text.Json;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.Serving;

/// <summary>The JSON of <c>GET /v1/model</c> and <c>GET /v1/model/weights</c>.</summary>
internal static class ModelInfoWriter
{
    public static void Info(Utf8JsonWriter json, ServedModel served, ServeOptions options)
    {
        var m = served.Model;
        json.WriteStartObject();
        json.WriteNumber("version", served.Version);
        json.WriteString("source", Path.GetFileName(served.Source));
        json.WriteString("loaded_at", served.LoadedAt);
        json.WriteNumber("class_count", m.Classes);
        Strings(json, "classes", m.ClassNames);
        json.WriteNumber("features", m.Features);
        json.WriteNumber("parameters", (long)m.Classes * m.Features + m.Classes);
        if (m.Image is { } im)
        {
            json.WriteStartObject("image");
            json.WriteNumber("height", im.Height);
            json.WriteNumber("width", im.Width);
            json.WriteNumber("channels", im.Channels);
            json.WriteBoolean("channel_planar", im.ChannelPlanar);
            json.WriteEndObject();
        }
        else json.WriteNull("image");
        Schema(json, m.Schema);
        json.WriteStartObject("input_range");
        json.WriteNumber("min", 0);
        json.WriteNumber("max", InputMax(m, options));
        json.WriteEndObject();
        var pre = m.Preprocessor;
        json.WriteStartObject("preprocessing");
        json.WriteString("kind", pre.Kind.ToString());
        json.WriteNumber("scale", pre.Scale);
        json.WriteBoolean("mean", pre.Mean is not null);
        json.WriteBoolean("inverse_std", pre.InverseStd is not null);
        json.WriteEndObject();
        var t = m.Training;
        json.WriteStartObject("training");
        json.WriteString("solver", t.Solver);
        Number(json, "l2", t.L2);
        Number(json, "l1", t.L1);
        Number(json, "objective", t.Objective);
        json.WriteNumber("rows", t.Rows);
        json.WriteNumber("iterations", t.Iterations);
        // Like the metrics JSON: a mini-batch solver counts epochs, L-BFGS its evaluations; the other is null.
        Count(json, "epochs", t.Epochs);
        Count(json, "evaluations", t.Evaluations);
        json.WriteString("stop_reason", t.StopReason);
        json.WriteNumber("seed", t.Seed);
        Number(json, "seconds", t.Seconds);
        json.WriteStartObject("settings");
        foreach (var (key, value) in t.Settings.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, value);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("limits");
        json.WriteNumber("max_body_bytes", options.MaxBodyBytes);
        json.WriteNumber("max_rows", options.MaxRows);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// The input schema: whether columns are matched by name, each column (name, kind, categories, imputed value,
    /// indicator) and the name of every model feature.
    /// </summary>
    private static void Schema(Utf8JsonWriter json, InputSchema schema)
    {
        json.WriteStartObject("input");
        json.WriteBoolean("named", schema.Named);
        json.WriteBoolean("nan_is_missing", schema.NanIsMissing);
        json.WriteBoolean("imputes", schema.Imputes);
        json.WriteStartArray("columns");
        foreach (var c in schema.Columns)
        {
            json.WriteStartObject();
            json.WriteString("name", c.Name);
            json.WriteString("kind", c.Kind == ColumnKind.Numeric ? "numeric" : "categorical");
            if (c.Kind == ColumnKind.Numeric) json.WriteNumber("fill", c.Fill);
            else
            {
                Strings(json, "categories", c.Categories);
                if (c.FillCategory >= 0) json.WriteString("fill", c.Categories[c.FillCategory]);
                else json.WriteNull("fill");
            }
            json.WriteBoolean("missing_indicator", c.MissingIndicator);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        Strings(json, "feature_names", schema.FeatureNames);
        json.WriteEndObject();
    }

    /// <summary>W (C × D, in preprocessed units) and b, for drawing the weights as pictures.</summary>
    public static void Weights(Utf8JsonWriter json, ServedModel served)
    {
        var m = served.Model;
        json.WriteStartObject();
        json.WriteNumber("version", served.Version);
        Strings(json, "classes", m.ClassNames);
        json.WriteNumber("features", m.Features);
        json.WriteStartArray("weights");
        for (int c = 0; c < m.Classes; c++)
        {
            json.WriteStartArray();
            foreach (var w in m.WeightRow(c)) json.WriteNumberValue((float)w);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteStartArray("bias");
        for (int c = 0; c < m.Classes; c++) json.WriteNumberValue((float)m.Bias(c));
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// The raw value of full ink, for the page's drawing box: the option if given; 1/scale when the model scales its
    /// input (255 for 8-bit pixels); 16 for 8 × 8 images (the UCI digits' range); 255 for other images; else 1.
    /// </summary>
    public static float InputMax(SoftmaxModel m, ServeOptions options)
    {
        if (options.InputMax is { } max) return max;
        float scale = m.Preprocessor.Scale;
        if (scale > 0 && scale < 0.99f) return MathF.Round(1 / scale);
        if (m.Image is { Height: 8, Width: 8, Channels: 1 }) return 16;
        return m.Image is null ? 1 : 255;
    }

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static void Count(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } v) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }
}

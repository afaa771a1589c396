using Softmax.Data;
using Softmax.Model;

namespace Softmax.Serving;

/// <summary>
/// The JSON of <c>GET /v1/model</c> and <c>GET /v1/model/weights</c>, as objects for the serializer: properties in
/// this order, absent values as null.
/// </summary>
internal static class ModelInfoWriter
{
    public static object Info(ServedModel served, ServeOptions options)
    {
        var m = served.Model;
        var (pre, t) = (m.Preprocessor, m.Training);
        return new
        {
            version = served.Version,
            source = Path.GetFileName(served.Source),
            loaded_at = served.LoadedAt,
            class_count = m.Classes,
            classes = m.ClassNames,
            features = m.Features,
            parameters = (long)m.Classes * m.Features + m.Classes,
            image = m.Image is { } im
                ? new { height = im.Height, width = im.Width, channels = im.Channels, channel_planar = im.ChannelPlanar }
                : null,
            input = Schema(m.Schema),
            input_range = new { min = 0, max = InputMax(m, options) },
            preprocessing = new
            {
                kind = pre.Kind.ToString(), scale = pre.Scale, mean = pre.Mean is not null, inverse_std = pre.InverseStd is not null,
            },
            training = new
            {
                solver = t.Solver,
                l2 = Finite(t.L2),
                l1 = Finite(t.L1),
                objective = Finite(t.Objective),
                rows = t.Rows,
                iterations = t.Iterations,
                // Like the metrics JSON: a mini-batch solver counts epochs, L-BFGS its evaluations; the other is null.
                epochs = t.Epochs,
                evaluations = t.Evaluations,
                stop_reason = t.StopReason,
                seed = t.Seed,
                seconds = Finite(t.Seconds),
                settings = new SortedDictionary<string, string>(t.Settings.ToDictionary(), StringComparer.Ordinal),
            },
            limits = new { max_body_bytes = options.MaxBodyBytes, max_rows = options.MaxRows },
        };
    }

    /// <summary>
    /// The input schema: whether columns are matched by name, each column (name, kind, categories, imputed value,
    /// indicator) and the name of every model feature.
    /// </summary>
    private static object Schema(InputSchema schema) => new
    {
        named = schema.Named,
        nan_is_missing = schema.NanIsMissing,
        imputes = schema.Imputes,
        columns = schema.Columns.Select(c => c.Kind == ColumnKind.Numeric
            ? (object)new { name = c.Name, kind = "numeric", fill = c.Fill, missing_indicator = c.MissingIndicator }
            : new
            {
                name = c.Name,
                kind = "categorical",
                categories = c.Categories,
                fill = c.FillCategory >= 0 ? c.Categories[c.FillCategory] : null,
                missing_indicator = c.MissingIndicator,
            }),
        feature_names = schema.FeatureNames,
    };

    /// <summary>W (C × D, in preprocessed units) and b, for drawing the weights as pictures.</summary>
    public static object Weights(ServedModel served)
    {
        var m = served.Model;
        var classes = Enumerable.Range(0, m.Classes);
        return new
        {
            version = served.Version,
            classes = m.ClassNames,
            features = m.Features,
            weights = classes.Select(c => Array.ConvertAll(m.WeightRow(c).ToArray(), w => (float)w)),
            bias = classes.Select(c => (float)m.Bias(c)),
        };
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

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

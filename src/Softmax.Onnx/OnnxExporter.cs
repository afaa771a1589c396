using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Onnx;

/// <summary>
/// Writes a <see cref="SoftmaxModel"/> as a standard ONNX graph (default domain only, no custom ops; a model with
/// categorical, imputed or indicator columns takes one input per raw column instead of "input", featurized in the
/// graph with the ONNX-ML OneHotEncoder: see OnnxFeaturizer):
/// <code>
/// input "input": float32 [N, D]            (N is the symbolic batch dimension "N")
///   Mul(·, scale)                          when the preprocessing scale is not 1
///   Sub(·, mean[D])                        Center, Standardize
///   Mul(·, inverse_std[D])                 Standardize
///   [Cast to float64]                     Float64 precision (the default)
///   Gemm(·, W[C, D], b[C], transB = 1)  →  "scores" [N, C]
///   Softmax(axis = 1) [, Cast to float32] →  output "probabilities": float32 [N, C]
///   ArgMax(scores, axis = 1, keepdims = 0) → int64 [N]
///   Gather(class_names[C], ·)           →  output "label": string [N]   (class names other than 0..C−1)
///                                         or the ArgMax itself: int64 [N] (class names "0".."C−1")
/// </code>
/// The preprocessing steps are those of <see cref="SoftmaxModel.PredictProba(ReadOnlySpan{float})"/>, in float32 and
/// in the same order, so they agree bit for bit; W and b are the model's float32 weights. The scores differ only by
/// the rounding of the D-term dot products: in float32 two different summation orders (the model's vectorised dot,
/// ONNX Runtime's GEMM) each carry an error that reaches ~1e-6 in the probabilities at D = 784, so the default
/// <see cref="OnnxScorePrecision.Float64"/> widens the preprocessed rows and weights (exactly) and accumulates in
/// float64, which leaves only the model's own float32 rounding between the two. The arg-max is taken on the scores, as <see cref="SoftmaxModel.Predict(ReadOnlySpan{float})"/> does
/// (ties: the lowest index). Class names, preprocessing and training settings travel in <c>metadata_props</c>.
/// </summary>
public static class OnnxExporter
{
    // Tensor names of the graph that an input column may not take.
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        InputName, ProbabilitiesName, LabelName, "features", "scale", "scaled", "mean", "centered", "inverse_std", "standardized",
        "W", "b", "input_f64", "scores", "probabilities_f64", "class_index", "class_names",
    };

    /// <summary>The lowest opset written: Softmax's per-axis meaning and Gather on strings need 13.</summary>
    public const int MinOpset = 13;

    /// <summary>The highest opset written.</summary>
    public const int MaxOpset = 21;

    /// <summary>The input name.</summary>
    public const string InputName = "input";

    /// <summary>The probabilities output name.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The label output name.</summary>
    public const string LabelName = "label";

    /// <summary>Writes the ONNX file atomically (a temporary file in the target directory, then a rename).</summary>
    public static void Export(SoftmaxModel model, string path, int opset = 17, OnnxScorePrecision precision = OnnxScorePrecision.Float64)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = Serialize(model, opset, precision);
        AtomicFile.WriteStream(path, stream => stream.Write(bytes), createDirectory: false);
    }

    /// <summary>The ONNX file's bytes.</summary>
    public static byte[] Serialize(SoftmaxModel model, int opset = 17, OnnxScorePrecision precision = OnnxScorePrecision.Float64) =>
        Build(model, opset, precision).ToByteArray();

    /// <summary>True when the <c>label</c> output is the int64 class index (class names are "0".."C−1"); else it is a string.</summary>
    public static bool HasIndexLabels(SoftmaxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Enumerable.Range(0, model.Classes).All(c => model.ClassNames[c] == c.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The ONNX model message.</summary>
    public static ModelProto Build(SoftmaxModel model, int opset = 17, OnnxScorePrecision precision = OnnxScorePrecision.Float64)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (opset is < MinOpset or > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(opset), $"The opset must lie in {MinOpset}..{MaxOpset}; {opset} was asked for.");
        int C = model.Classes, D = model.Features;
        var graph = new GraphProto { Name = "softmax_regression" };
        string x = InputName;
        if (model.Schema.IsIdentity)
            graph.Input.Add(OnnxGraph.Value(InputName, OnnxGraph.FloatType, "Raw feature rows, as the model was trained on", "N", D));
        else x = OnnxFeaturizer.Add(graph, model.Schema, Reserved);
        x = AddPreprocessing(graph, model.Preprocessor, D, x);

        // W: (C, D) row-major, the model's own float32 rounding of θ; b: (C). In Float64 mode the same float32
        // values are widened (exactly), so only the accumulation is wider.
        var theta = model.Parameters;
        var w = Array.ConvertAll(theta[..(C * D)], v => (float)v);
        var b = Array.ConvertAll(theta[(C * D)..], v => (float)v);
        bool wide = precision == OnnxScorePrecision.Float64;
        graph.Initializer.Add(wide ? OnnxGraph.DoubleTensor("W", w, C, D) : OnnxGraph.FloatTensor("W", w, C, D));
        graph.Initializer.Add(wide ? OnnxGraph.DoubleTensor("b", b, C) : OnnxGraph.FloatTensor("b", b, C));
        if (wide) graph.Node.Add(OnnxGraph.Node("Cast", "widen", [x], ["input_f64"], OnnxGraph.Int("to", OnnxGraph.DoubleType)));
        graph.Node.Add(OnnxGraph.Node("Gemm", "linear", [wide ? "input_f64" : x, "W", "b"], ["scores"], OnnxGraph.Int("transB", 1)));   // scores: (N, C)
        string probabilities = wide ? "probabilities_f64" : ProbabilitiesName;
        graph.Node.Add(OnnxGraph.Node("Softmax", "softmax", ["scores"], [probabilities], OnnxGraph.Int("axis", 1)));
        if (wide) graph.Node.Add(OnnxGraph.Node("Cast", "narrow", [probabilities], [ProbabilitiesName], OnnxGraph.Int("to", OnnxGraph.FloatType)));
        graph.Output.Add(OnnxGraph.Value(ProbabilitiesName, OnnxGraph.FloatType, "Class probabilities", "N", C));

        bool indexLabels = HasIndexLabels(model);
        string index = indexLabels ? LabelName : "class_index";
        graph.Node.Add(OnnxGraph.Node("ArgMax", "argmax", ["scores"], [index], OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 0)));
        if (indexLabels) graph.Output.Add(OnnxGraph.Value(LabelName, OnnxGraph.Int64Type, "Most probable class (index = label)", "N"));
        else
        {
            graph.Initializer.Add(OnnxGraph.StringTensor("class_names", model.ClassNames));
            graph.Node.Add(OnnxGraph.Node("Gather", "label_map", ["class_names", index], [LabelName], OnnxGraph.Int("axis", 0)));
            graph.Output.Add(OnnxGraph.Value(LabelName, OnnxGraph.StringType, "Most probable class name", "N"));
        }

        var proto = new ModelProto
        {
            IrVersion = IrVersionFor(opset),
            ProducerName = "softmax",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0",
            Domain = "softmax",
            ModelVersion = 1,
            DocString = $"Softmax regression: {C} classes, {D} features, preprocessing {model.Preprocessor.Kind}.",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        if (!model.Schema.IsIdentity) proto.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxFeaturizer.MlDomain, Version = 1 });
        foreach (var (key, value) in Metadata(model)) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>The IR version that ONNX released together with <paramref name="opset"/> (docs/Versioning.md).</summary>
    public static long IrVersionFor(int opset) => opset switch
    {
        <= 14 => 7,
        <= 17 => 8,
        <= 20 => 9,
        _ => 10,
    };

    // Returns the name of the preprocessed input; steps are added in the order Preprocessor.ApplyRow uses.
    private static string AddPreprocessing(GraphProto graph, Preprocessor pre, int D, string x)
    {
        if (pre.Kind != PreprocessKind.None && pre.Scale != 1f) x = Step(graph, "Mul", "scale", x, OnnxGraph.FloatTensor("scale", [pre.Scale]), "scaled");
        if (pre.Mean is { } mean) x = Step(graph, "Sub", "center", x, OnnxGraph.FloatTensor("mean", mean, D), "centered");
        if (pre.InverseStd is { } inverseStd)
            x = Step(graph, "Mul", "standardize", x, OnnxGraph.FloatTensor("inverse_std", inverseStd, D), "standardized");
        return x;
    }

    // One elementwise step: output = op(x, constant); returns the output's name.
    private static string Step(GraphProto graph, string op, string name, string x, TensorProto constant, string output)
    {
        graph.Initializer.Add(constant);
        graph.Node.Add(OnnxGraph.Node(op, name, [x, constant.Name], [output]));
        return output;
    }

    private static IEnumerable<(string Key, string Value)> Metadata(SoftmaxModel model)
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        yield return ("softmax.class_names", JsonSerializer.Serialize(model.ClassNames));
        yield return ("softmax.features", model.Features.ToString(CultureInfo.InvariantCulture));
        yield return ("softmax.feature_names", JsonSerializer.Serialize(model.Schema.FeatureNames));
        yield return ("softmax.input_columns", JsonSerializer.Serialize(model.Schema.Columns.Select(c => new Dictionary<string, object>
        {
            ["name"] = c.Name,
            ["kind"] = c.Kind == ColumnKind.Numeric ? "numeric" : "categorical",
            ["categories"] = c.Categories,
            ["missing_indicator"] = c.MissingIndicator,
        })));
        yield return ("softmax.input_named", model.Schema.Named ? "true" : "false");
        yield return ("softmax.preprocessing", model.Preprocessor.Kind.ToString());
        yield return ("softmax.preprocessing_scale", F(model.Preprocessor.Scale));
        if (model.Image is { } im)
            yield return ("softmax.image", $"{im.Height}x{im.Width}x{im.Channels}{(im.ChannelPlanar ? "" : " interleaved")}");
        var t = model.Training;
        yield return ("softmax.solver", t.Solver);
        yield return ("softmax.l2", F(t.L2));
        yield return ("softmax.l1", F(t.L1));
        yield return ("softmax.training_rows", t.Rows.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>How the exported graph computes the scores and the softmax.</summary>
public enum OnnxScorePrecision
{
    /// <summary>float64 Gemm and Softmax on the exactly widened float32 inputs and weights (the default: the closest to exact).</summary>
    Float64,
    /// <summary>float32 throughout, like the model's own prediction path.</summary>
    Float32,
}

using Onnx;
using Softmax.Data;

namespace Softmax.Onnx;

/// <summary>
/// The graph front for a model whose input is raw columns (<see cref="InputSchema"/> with categorical, imputed or
/// indicator columns): one input per column, named as the column, shape [N, 1] — float32 for numeric columns (NaN is a
/// missing value) and string for categorical ones ("" and "NA", and NaN spellings when the model reads NaN as missing,
/// are missing). Per column, in the model's feature order:
/// <code>
/// numeric:      Where(IsNaN(x), fill, x)                       [N, 1]   (+ Cast(IsNaN(x)) as the indicator)
/// categorical:  ai.onnx.ml.OneHotEncoder(x, levels, zeros = 1) [N, K]   (unseen: all zero)
///               + missing · e_fill, missing = OneHotEncoder(x, missing spellings) · 1   (+ missing as the indicator)
/// </code>
/// then Concat(axis 1) → [N, D], the features the preprocessing and Gemm take, exactly as <see cref="InputSchema.Encode"/> builds them.
/// </summary>
internal static class OnnxFeaturizer
{
    /// <summary>The ONNX-ML operator domain (OneHotEncoder).</summary>
    public const string MlDomain = "ai.onnx.ml";

    /// <summary>Adds the inputs and the featurization; returns the name of the [N, D] feature tensor.</summary>
    public static string Add(GraphProto graph, InputSchema schema, ISet<string> reserved)
    {
        var parts = new List<string>();
        for (int k = 0; k < schema.Columns.Count; k++)
        {
            var c = schema.Columns[k];
            if (reserved.Contains(c.Name) || c.Name.StartsWith("feat/", StringComparison.Ordinal))
                throw new ArgumentException($"The input column name '{c.Name}' is also the name of a tensor in the graph; rename the column.");
            string p = $"feat/{k}/";
            if (c.Kind == ColumnKind.Numeric) Numeric(graph, schema, c, p, parts);
            else Categorical(graph, schema, c, p, parts);
        }
        graph.Node.Add(OnnxGraph.Node("Concat", "feat/concat", [.. parts], ["features"], OnnxGraph.Int("axis", 1)));   // features: (N, D)
        return "features";
    }

    private static void Numeric(GraphProto graph, InputSchema schema, InputColumn c, string p, List<string> parts)
    {
        graph.Input.Add(OnnxGraph.Value(c.Name, OnnxGraph.FloatType, $"Numeric column '{c.Name}' (NaN: missing)", "N", 1));
        if (!schema.Imputes) { parts.Add(c.Name); return; }
        graph.Node.Add(OnnxGraph.Node("IsNaN", p + "isnan", [c.Name], [p + "missing"]));
        graph.Initializer.Add(OnnxGraph.FloatTensor(p + "fill", [c.Fill]));
        graph.Node.Add(OnnxGraph.Node("Where", p + "impute", [p + "missing", p + "fill", c.Name], [p + "value"]));
        parts.Add(p + "value");
        if (!c.MissingIndicator) return;
        graph.Node.Add(OnnxGraph.Node("Cast", p + "indicator", [p + "missing"], [p + "flag"], OnnxGraph.Int("to", OnnxGraph.FloatType)));
        parts.Add(p + "flag");
    }

    private static void Categorical(GraphProto graph, InputSchema schema, InputColumn c, string p, List<string> parts)
    {
        graph.Input.Add(OnnxGraph.Value(c.Name, OnnxGraph.StringType, $"Categorical column '{c.Name}' (\"\" or NA: missing)", "N", 1));
        int K = c.Categories.Count;
        graph.Initializer.Add(OnnxGraph.Int64Tensor(p + "shape", [-1, K], 2));
        graph.Node.Add(OneHot(p + "onehot", c.Name, p + "onehot3", c.Categories));   // (N, 1, K)
        graph.Node.Add(OnnxGraph.Node("Reshape", p + "flatten", [p + "onehot3", p + "shape"], [p + "levels"]));   // (N, K)
        string[] spellings = schema.NanIsMissing ? ["", "NA", "NaN", "nan", "NAN"] : ["", "NA"];
        graph.Node.Add(OneHot(p + "missing_onehot", c.Name, p + "missing3", spellings));   // (N, 1, M)
        graph.Initializer.Add(OnnxGraph.Int64Tensor(p + "missing_shape", [-1, spellings.Length], 2));
        graph.Node.Add(OnnxGraph.Node("Reshape", p + "missing_flatten", [p + "missing3", p + "missing_shape"], [p + "missing_spelled"]));
        graph.Initializer.Add(OnnxGraph.FloatTensor(p + "ones", Enumerable.Repeat(1f, spellings.Length).ToArray(), spellings.Length, 1));
        graph.Node.Add(OnnxGraph.Node("MatMul", p + "missing_any", [p + "missing_spelled", p + "ones"], [p + "missing"]));   // (N, 1)
        string encoded = p + "levels";
        if (schema.Imputes && c.FillCategory >= 0)
        {
            var unit = new float[K];
            unit[c.FillCategory] = 1;
            graph.Initializer.Add(OnnxGraph.FloatTensor(p + "fill", unit, K));
            graph.Node.Add(OnnxGraph.Node("Mul", p + "impute_mode", [p + "missing", p + "fill"], [p + "imputed"]));   // (N, K)
            graph.Node.Add(OnnxGraph.Node("Add", p + "impute", [p + "levels", p + "imputed"], [p + "value"]));
            encoded = p + "value";
        }
        parts.Add(encoded);
        if (c.MissingIndicator) parts.Add(p + "missing");
    }

    private static NodeProto OneHot(string name, string input, string output, IReadOnlyList<string> categories)
    {
        var node = OnnxGraph.Node("OneHotEncoder", name, [input], [output], OnnxGraph.Int("zeros", 1));
        node.Domain = MlDomain;
        var cats = new AttributeProto { Name = "cats_strings", Type = AttributeProto.Types.AttributeType.Strings };
        foreach (var s in categories) cats.Strings.Add(Google.Protobuf.ByteString.CopyFromUtf8(s));
        node.Attribute.Add(cats);
        return node;
    }
}

using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Softmax.Model;

namespace Softmax.Serving;

/// <summary>
/// <c>POST /v1/predict[?top_k=K]</c>. Response:
/// <c>{"model_version": v, "labels": [...], "classes": [...], "probabilities": [[...]], "top_k": [[{"label", "class", "probability"}]]}</c>.
/// The model snapshot is taken before the body is read, so the whole request runs on one model.
/// </summary>
internal sealed class PredictEndpoint(ModelSlot slot, ServingMetrics metrics, ServeOptions options)
{
    // Without ?top_k the response has no "top_k" property at all.
    private static readonly JsonSerializerOptions OmitNull = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public async Task Handle(HttpContext context)
    {
        var served = slot.Current;
        var model = served.Model;
        int topK = TopK(context.Request.Query["top_k"], model.Classes);
        using var body = await HttpBody.ReadAsync(context, options.MaxBodyBytes, context.RequestAborted);
        using var rows = RequestRows.Parse(context.Request.ContentType, body.Span, model.Schema, options.MaxRows);
        metrics.Rows(rows.Rows);
        await ModelServer.WriteJson(context, Response(served, rows, topK), OmitNull);
    }

    private static object Response(ServedModel served, RowBatch rows, int topK)
    {
        var model = served.Model;
        var p = new float[rows.Rows][];   // (n, C)
        var best = new int[rows.Rows];
        for (int i = 0; i < p.Length; i++)
        {
            model.PredictProba(rows.Row(i), p[i] = new float[model.Classes]);
            best[i] = TensorPrimitives.IndexOfMax<float>(p[i]);   // ties: the lowest index, as the model's Predict
        }
        var top = topK > 0 ? p.Select(pi => SoftmaxModel.TopKOf(pi, topK).Select(t => new
        {
            label = model.ClassNames[t.Class],
            @class = t.Class,
            probability = t.Probability,
        })) : null;
        return new
        {
            model_version = served.Version,
            labels = best.Select(c => model.ClassNames[c]),
            classes = best,
            probabilities = p,
            top_k = top,
        };
    }

    private int TopK(Microsoft.Extensions.Primitives.StringValues query, int classes)
    {
        if (query.Count == 0) return Math.Min(options.DefaultTopK, classes);
        if (query.Count > 1 || !int.TryParse(query[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            throw new InputException($"top_k must be one non-negative integer, not '{query}'.");
        return Math.Min(k, classes);
    }
}

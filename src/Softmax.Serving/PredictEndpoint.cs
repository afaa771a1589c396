using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
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
    public async Task Handle(HttpContext context)
    {
        var served = slot.Current;
        var model = served.Model;
        int topK = TopK(context.Request.Query["top_k"], model.Classes);
        using var body = await HttpBody.ReadAsync(context, options.MaxBodyBytes, context.RequestAborted);
        using var rows = RequestRows.Parse(context.Request.ContentType, body.Span, model.Schema, options.MaxRows);
        metrics.Rows(rows.Rows);
        await ModelServer.WriteJson(context, json => Write(json, served, rows, topK));
    }

    private static void Write(Utf8JsonWriter json, ServedModel served, RowBatch rows, int topK)
    {
        var model = served.Model;
        int C = model.Classes, n = rows.Rows;
        var p = new float[n * C];   // (n, C)
        var best = new int[n];
        for (int i = 0; i < n; i++)
        {
            var pi = p.AsSpan(i * C, C);
            model.PredictProba(rows.Row(i), pi);
            best[i] = TensorPrimitives.IndexOfMax<float>(pi);   // ties: the lowest index, as the model's Predict
        }
        json.WriteStartObject();
        json.WriteNumber("model_version", served.Version);
        json.WriteStartArray("labels");
        for (int i = 0; i < n; i++) json.WriteStringValue(model.ClassNames[best[i]]);
        json.WriteEndArray();
        json.WriteStartArray("classes");
        for (int i = 0; i < n; i++) json.WriteNumberValue(best[i]);
        json.WriteEndArray();
        json.WriteStartArray("probabilities");
        for (int i = 0; i < n; i++)
        {
            json.WriteStartArray();
            for (int c = 0; c < C; c++) json.WriteNumberValue(p[i * C + c]);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        if (topK > 0)
        {
            json.WriteStartArray("top_k");
            for (int i = 0; i < n; i++)
            {
                json.WriteStartArray();
                foreach (var (c, probability) in SoftmaxModel.TopKOf(p.AsSpan(i * C, C), topK))
                {
                    json.WriteStartObject();
                    json.WriteString("label", model.ClassNames[c]);
                    json.WriteNumber("class", c);
                    json.WriteNumber("probability", probability);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private int TopK(Microsoft.Extensions.Primitives.StringValues query, int classes)
    {
        if (query.Count == 0) return Math.Min(options.DefaultTopK, classes);
        if (query.Count > 1 || !int.TryParse(query[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            throw new InputException($"top_k must be one non-negative integer, not '{query}'.");
        return Math.Min(k, classes);
    }
}

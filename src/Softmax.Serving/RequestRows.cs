using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Softmax.Data;

namespace Softmax.Serving;

/// <summary>
/// Parses a prediction body into rows of the model's D features, checking every value: JSON
/// <c>{"instances": [[...], ...]}</c> (features) or <c>{"instances": [{"column": value, ...}, ...]}</c> (raw input
/// columns by name, featurized by the model's <see cref="InputSchema"/>; null is a missing value), raw little-endian
/// float32 rows (<c>application/octet-stream</c>), or CSV (<c>text/csv</c>, through the readers' own
/// <see cref="CsvRecords"/>; a header is accepted when the model's columns are named, and binds them by name). Every
/// problem is an <see cref="InputException"/> that says where it is and what was expected.
/// </summary>
internal static class RequestRows
{
    public static RowBatch Parse(string? contentType, ReadOnlySpan<byte> body, InputSchema schema, int maxRows)
    {
        string media = (contentType ?? "application/json").Split(';')[0].Trim().ToLowerInvariant();
        if (body.IsEmpty) throw new InputException("The request body is empty; send {\"instances\": [[...]]}, raw float32 rows or CSV.");
        bool json = media is "application/json" or "text/json" or "" || media.EndsWith("+json", StringComparison.Ordinal);
        bool binary = media == "application/octet-stream";
        if (!json && !binary && media is not ("text/csv" or "text/plain"))
            throw new InputException(
                $"Unsupported content type '{media}'; use application/json, application/octet-stream (float32 little-endian rows) or text/csv.",
                415, "unsupported_media_type");
        int D = schema.FeatureCount;
        var batch = new RowBatch(D, json ? body.Length / (2 * D + 2) : binary ? body.Length / (4 * D) : 1);
        try
        {
            if (json) Json(body, batch, schema, maxRows);
            else if (binary) Binary(body, batch, maxRows);
            else RequestCsv.Read(body, batch, schema, maxRows);
            return batch;
        }
        catch (Exception e)
        {
            batch.Dispose();
            if (e is JsonException) throw new InputException($"Malformed JSON: {e.Message}", 400, "malformed_json");
            if (e is DataFormatException csv) throw new InputException($"CSV line {csv.Record}: {csv.Detail}.");
            throw;
        }
    }

    private static void Json(ReadOnlySpan<byte> body, RowBatch batch, InputSchema schema, int maxRows)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new InputException($"The JSON body must be an object {{\"instances\": [[...], ...]}}, not {Describe(reader.TokenType)}.");
        bool seen = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("instances"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            if (seen) throw new InputException("\"instances\" appears twice.");
            seen = true;
            reader.Read();
            ReadInstances(ref reader, batch, schema, maxRows);
        }
        while (reader.Read()) { }   // the reader rejects trailing content
        if (!seen) throw new InputException("The JSON body has no \"instances\" array.");
    }

    private static void ReadInstances(ref Utf8JsonReader reader, RowBatch batch, InputSchema schema, int maxRows)
    {
        int D = batch.Features;
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new InputException($"\"instances\" must be an array of rows, not {Describe(reader.TokenType)}.");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int i = batch.Rows;
            if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
                throw new InputException($"instances[{i}] must be an array of {D} numbers, not {Describe(reader.TokenType)}.");
            if (i >= maxRows) throw TooManyRows(maxRows);
            var row = batch.Next();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                ReadObject(ref reader, row, schema, i);
                batch.Commit();
                continue;
            }
            int j = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number)
                {
                    string what = reader.TokenType == JsonTokenType.String ? $"the string \"{DisplayText.Of(reader.GetString())}\"" : Describe(reader.TokenType);
                    throw new InputException($"instances[{i}][{j}] is {what}; expected a finite number (NaN and Infinity are not allowed).");
                }
                if (j >= D) throw new InputException($"instances[{i}] has more than {D} values; the model expects {D} features.");
                if (!reader.TryGetSingle(out float v) || !float.IsFinite(v))
                    throw new InputException($"instances[{i}][{j}] = {Encoding.UTF8.GetString(reader.ValueSpan)} is not a finite float32.");
                row[j++] = v;
            }
            if (j != D) throw new InputException($"instances[{i}] has {j} values; the model expects {D} features.");
            batch.Commit();
        }
        if (batch.Rows == 0) throw new InputException("\"instances\" is empty; send at least one row.");
    }

    // One instance as an object keyed by input column name: numbers, strings (categories) or null (missing).
    private static void ReadObject(ref Utf8JsonReader reader, Span<float> row, InputSchema schema, int i)
    {
        var fields = new string?[schema.Columns.Count];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < fields.Length; k++) index[schema.Columns[k].Name] = k;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            if (!index.TryGetValue(name, out int k)) { reader.Skip(); continue; }
            fields[k] = reader.TokenType switch
            {
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Null => "",
                _ => throw new InputException($"instances[{i}].{DisplayText.Of(name)} is {Describe(reader.TokenType)}; expected a number, a string or null."),
            };
        }
        for (int k = 0; k < fields.Length; k++)
            if (fields[k] is null) throw new InputException($"instances[{i}] has no '{DisplayText.Of(schema.Columns[k].Name)}'; the model's input columns are {string.Join(", ", schema.Columns.Take(10).Select(c => $"'{DisplayText.Of(c.Name)}'"))}{(fields.Length > 10 ? ", …" : "")} (null for a missing value).");
        try { schema.Encode(fields!, Enumerable.Range(0, fields.Length).ToArray(), row, "instances", i); }
        catch (DataFormatException e) { throw new InputException($"instances[{i}]: {e.Detail}"); }
    }

    private static void Binary(ReadOnlySpan<byte> body, RowBatch batch, int maxRows)
    {
        int features = batch.Features, rowBytes = 4 * features;
        if (body.Length % rowBytes != 0)
            throw new InputException($"The body has {body.Length} bytes, not a multiple of {rowBytes} (one row is {features} float32 values, little-endian).");
        int rows = body.Length / rowBytes;
        if (rows > maxRows) throw TooManyRows(maxRows);
        for (int i = 0; i < rows; i++)
        {
            var row = batch.Next();
            for (int j = 0; j < features; j++)
            {
                float v = BinaryPrimitives.ReadSingleLittleEndian(body.Slice(i * rowBytes + 4 * j, 4));
                if (!float.IsFinite(v)) throw new InputException($"Row {i}, feature {j} is {v.ToString(CultureInfo.InvariantCulture)}; values must be finite.");
                row[j] = v;
            }
            batch.Commit();
        }
    }

    internal static InputException TooManyRows(int maxRows) =>
        new($"More than {maxRows} rows in one request; split it.", 413, "too_many_rows");

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.None => "nothing",
        _ => token.ToString(),
    };
}

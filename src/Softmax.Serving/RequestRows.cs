using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Softmax.Serving;

/// <summary>
/// Parses a prediction body into rows, checking every value: JSON <c>{"instances": [[...], ...]}</c>, raw
/// little-endian float32 rows (<c>application/octet-stream</c>), or CSV (<c>text/csv</c>, no header). Every problem
/// is an <see cref="InputException"/> that says where it is and what was expected.
/// </summary>
internal static class RequestRows
{
    public static RowBatch Parse(string? contentType, ReadOnlySpan<byte> body, int features, int maxRows)
    {
        string media = (contentType ?? "application/json").Split(';')[0].Trim().ToLowerInvariant();
        if (body.IsEmpty) throw new InputException("The request body is empty; send {\"instances\": [[...]]}, raw float32 rows or CSV.");
        return media switch
        {
            "application/json" or "text/json" or "" => Json(body, features, maxRows),
            _ when media.EndsWith("+json", StringComparison.Ordinal) => Json(body, features, maxRows),
            "application/octet-stream" => Binary(body, features, maxRows),
            "text/csv" or "text/plain" => Csv(body, features, maxRows),
            _ => throw new InputException(
                $"Unsupported content type '{media}'; use application/json, application/octet-stream (float32 little-endian rows) or text/csv.",
                415, "unsupported_media_type"),
        };
    }

    public static RowBatch Json(ReadOnlySpan<byte> body, int features, int maxRows)
    {
        var batch = new RowBatch(features, body.Length / (2 * features + 2));
        try
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
                ReadInstances(ref reader, batch, maxRows);
            }
            while (reader.Read()) { }   // the reader rejects trailing content
            if (!seen) throw new InputException("The JSON body has no \"instances\" array.");
            return batch;
        }
        catch (JsonException e)
        {
            batch.Dispose();
            throw new InputException($"Malformed JSON: {e.Message}", 400, "malformed_json");
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private static void ReadInstances(ref Utf8JsonReader reader, RowBatch batch, int maxRows)
    {
        int D = batch.Features;
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new InputException($"\"instances\" must be an array of rows, not {Describe(reader.TokenType)}.");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int i = batch.Rows;
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new InputException($"instances[{i}] must be an array of {D} numbers, not {Describe(reader.TokenType)}.");
            if (i >= maxRows) throw TooManyRows(maxRows);
            var row = batch.Next();
            int j = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number)
                {
                    string what = reader.TokenType == JsonTokenType.String ? $"the string \"{Clip(reader.GetString())}\"" : Describe(reader.TokenType);
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

    public static RowBatch Binary(ReadOnlySpan<byte> body, int features, int maxRows)
    {
        int rowBytes = 4 * features;
        if (body.Length % rowBytes != 0)
            throw new InputException($"The body has {body.Length} bytes, not a multiple of {rowBytes} (one row is {features} float32 values, little-endian).");
        int rows = body.Length / rowBytes;
        if (rows > maxRows) throw TooManyRows(maxRows);
        var batch = new RowBatch(features, rows);
        for (int i = 0; i < rows; i++)
        {
            var row = batch.Next();
            for (int j = 0; j < features; j++)
            {
                float v = BinaryPrimitives.ReadSingleLittleEndian(body.Slice(i * rowBytes + 4 * j, 4));
                if (!float.IsFinite(v))
                {
                    batch.Dispose();
                    throw new InputException($"Row {i}, feature {j} is {v.ToString(CultureInfo.InvariantCulture)}; values must be finite.");
                }
                row[j] = v;
            }
            batch.Commit();
        }
        return batch;
    }

    public static RowBatch Csv(ReadOnlySpan<byte> body, int features, int maxRows)
    {
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body); }
        catch (DecoderFallbackException) { throw new InputException("The CSV body is not valid UTF-8."); }
        var batch = new RowBatch(features, 1);
        try
        {
            int lineNumber = 0;
            foreach (var rawLine in text.AsSpan().EnumerateLines())
            {
                lineNumber++;
                var line = rawLine.Trim();
                if (line.IsEmpty) continue;
                if (batch.Rows >= maxRows) throw TooManyRows(maxRows);
                var row = batch.Next();
                int j = 0;
                foreach (var range in line.Split(','))
                {
                    var field = line[range].Trim();
                    if (j >= features) throw new InputException($"CSV line {lineNumber} has more than {features} fields; the model expects {features} features.");
                    if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                        throw new InputException($"CSV line {lineNumber}, field {j + 1}: '{Clip(field.ToString())}' is not a finite number (send no header line).");
                    row[j++] = v;
                }
                if (j != features) throw new InputException($"CSV line {lineNumber} has {j} fields; the model expects {features} features.");
                batch.Commit();
            }
            if (batch.Rows == 0) throw new InputException("The CSV body has no rows.");
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private static InputException TooManyRows(int maxRows) =>
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

    private static string Clip(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "…";
}

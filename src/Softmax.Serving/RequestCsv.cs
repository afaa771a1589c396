using System.Globalization;
using Softmax.Data;

namespace Softmax.Serving;

/// <summary>
/// A <c>text/csv</c> prediction body, read with the readers' own <see cref="CsvRecords"/> (same quoting and
/// blank-line rules as <c>train</c> and <c>predict</c>). A model with named columns accepts a header and binds its
/// columns by name (reordered, extra ones ignored, a missing one named in the error); rows without a header are
/// the model's D features in order.
/// </summary>
internal static class RequestCsv
{
    /// <summary>Adds the body's rows to <paramref name="batch"/>; a bad record's <see cref="DataFormatException"/> names its line.</summary>
    public static void Read(ReadOnlySpan<byte> body, RowBatch batch, InputSchema schema, int maxRows)
    {
        int[]? map = null;
        int width = 0;
        using var stream = new MemoryStream(body.ToArray(), writable: false);
        CsvRecords.Read(stream, "CSV body", null, (fields, line) =>
        {
            if (map is null && schema.Named && fields.Any(f => !IsNumber(f) && !InputSchema.IsMissing(f, true)))
            {
                try { map = schema.Bind(fields, "CSV body"); }
                catch (DataFormatException e) { throw new InputException($"CSV header: {e.Detail}."); }
                width = fields.Count;
                return true;
            }
            if (batch.Rows >= maxRows) throw RequestRows.TooManyRows(maxRows);
            var row = batch.Next();
            if (map is null) Positional(fields, line, batch.Features, row);
            else if (fields.Count != width) throw new InputException($"CSV line {line} has {fields.Count} fields; the header has {width}.");
            else schema.Encode(fields, map, row, "CSV body", line);
            batch.Commit();
            return true;
        });
        if (batch.Rows == 0) throw new InputException("The CSV body has no rows.");
    }

    private static void Positional(IReadOnlyList<string> fields, long line, int features, Span<float> row)
    {
        for (int j = 0; j < fields.Count; j++)
        {
            if (j >= features) throw new InputException($"CSV line {line} has more than {features} fields; the model expects {features} features.");
            if (!float.TryParse(fields[j], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                throw new InputException($"CSV line {line}, field {j + 1}: '{DisplayText.Of(fields[j])}' is not a finite number (send no header line).");
            row[j] = v;
        }
        if (fields.Count != features) throw new InputException($"CSV line {line} has {fields.Count} fields; the model expects {features} features.");
    }

    private static bool IsNumber(string f) => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}

using System.Globalization;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// Binds CSV records (from <see cref="CsvRecords"/>, the readers' own parser) to a model's input, row by row, so
/// prediction streams. With a header and a model whose columns are named, columns are matched by name: reordered
/// columns are reordered, extra ones ignored, a missing one is an error naming it. Otherwise columns are taken by
/// position: the model's D features, or D + 1 with a label column (the last, or --label-column). An --id-column is
/// copied to the output. Errors name the source, the line and the column.
/// </summary>
public sealed class CsvInput(SoftmaxModel model, string name, string? labelColumn, string? idColumn)
{
    private readonly InputSchema _schema = model.Schema;
    private int[] _map = [];
    private int _fields, _label = -1, _id = -1;

    /// <summary>Whether the first record has been seen.</summary>
    public bool Bound { get; private set; }
    /// <summary>Whether rows carry a label column.</summary>
    public bool HasLabels => _label >= 0;
    /// <summary>The id column's header name, when there is one.</summary>
    public string? IdName { get; private set; }

    /// <summary>Binds to the first record; true when it is a header (not a row).</summary>
    public bool Bind(IReadOnlyList<string> first)
    {
        Bound = true;
        _fields = first.Count;
        bool header = _schema.Named ? !AllNumbers(first) : HeaderWithout(first);
        if (header && _schema.Named)
        {
            _map = _schema.Bind(first, name);
            _id = TabularCsv.FindColumn(first, idColumn, name, "id");
            _label = TabularCsv.FindColumn(first, labelColumn, name, "label");
            if (_label < 0)
                _label = Enumerable.Range(0, first.Count).FirstOrDefault(i => !_map.Contains(i) && i != _id
                    && TabularCsv.LabelNames.Contains(first[i], StringComparer.OrdinalIgnoreCase), -1);
        }
        else
        {
            if (!_schema.IsIdentity)
                throw new DataFormatException(name, 1, "expected a header naming the model's input columns (it has categorical or imputed columns), found none");
            if (idColumn is not null)
            {
                if (!header && !int.TryParse(idColumn, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                    throw new DataFormatException(name, 1, $"expected a header with the id column '{DisplayText.Of(idColumn)}', found none");
                _id = TabularCsv.FindColumn(first, idColumn, name, "id");
            }
            int D = model.Features, columns = first.Count - (_id >= 0 ? 1 : 0);
            if (columns != D && columns != D + 1)
                throw new DataFormatException(name, 1, $"expected {D} features per row (the model's), or {D + 1} columns with a label, found {columns} columns");
            if (columns == D + 1) _label = ResolvePositionalLabel(first, header);
            _map = Enumerable.Range(0, first.Count).Where(i => i != _label && i != _id).ToArray();
        }
        if (_id >= 0) IdName = header ? first[_id] : "id";
        return header;
    }

    /// <summary>Encodes one record into <paramref name="row"/>; returns the categorical values the model has not seen.</summary>
    public int Row(IReadOnlyList<string> fields, long line, Span<float> row, out string? label, out string? id)
    {
        if (fields.Count != _fields) throw new DataFormatException(name, line, $"expected {_fields} columns, found {fields.Count}");
        label = _label >= 0 ? fields[_label] : null;
        id = _id >= 0 ? fields[_id] : null;
        return _schema.Encode(fields, _map, row, name, line);
    }

    private int ResolvePositionalLabel(IReadOnlyList<string> first, bool header)
    {
        if (labelColumn is null) return Enumerable.Range(0, first.Count).Last(i => i != _id);
        int k = LabelIndex(first.Count) ?? (header ? Array.IndexOf(first.ToArray(), labelColumn) : -1);
        if ((uint)k >= (uint)first.Count)
            throw new DataFormatException(name, 1, $"expected the label column '{DisplayText.Of(labelColumn)}', found columns {string.Join(", ", first.Take(20).Select(f => DisplayText.Of(f)))}");
        return k;
    }

    // A header for an unnamed model: a field that is not a number, outside the (default: last) label column.
    private bool HeaderWithout(IReadOnlyList<string> first)
    {
        int label = LabelIndex(first.Count) ?? first.Count - 1;
        return first.Where((f, i) => i != label || first.Count == model.Features).Any(f => !IsNumber(f));
    }

    // --label-column as a 0-based index (negative: from the end) among count fields; null for a name or none.
    private int? LabelIndex(int count) =>
        int.TryParse(labelColumn, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) ? (index < 0 ? count + index : index) : null;

    private static bool AllNumbers(IReadOnlyList<string> fields) => fields.All(f => IsNumber(f) || InputSchema.IsMissing(f, true));

    private static bool IsNumber(string f) => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}

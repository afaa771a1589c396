namespace Softmax.Data;

/// <summary>Pass 2 of <see cref="TabularCsv"/>: parses the records into the columns of a <see cref="TabularTable"/>.</summary>
internal sealed class TabularBuilder(string name, TabularCsv.ColumnLayout layout, ColumnKind[] kinds, int rows, bool nanIsMissing)
{
    private readonly TabularCsv.ColumnLayout _layout = layout;
    private readonly ColumnKind[] _kinds = kinds;
    private readonly float[]?[] _numbers = [.. kinds.Select(k => k == ColumnKind.Numeric ? new float[rows] : null)];
    private readonly int[]?[] _codes = [.. kinds.Select(k => k == ColumnKind.Numeric ? null : new int[rows])];
    private readonly Dictionary<string, int>[] _levels = [.. kinds.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal))];
    private readonly int[] _labels = new int[rows];
    private readonly LabelMap _classes = new();
    private readonly float[]? _weights = layout.Weight >= 0 ? new float[rows] : null;
    private readonly string[]? _ids = layout.Id >= 0 ? new string[rows] : null;
    private bool _header = true;
    private int _row;

    public bool Visit(IReadOnlyList<string> fields, long line)
    {
        if (_header) { _header = false; return true; }
        if (_row >= _labels.Length || fields.Count != _layout.Header.Length)
            throw new DataFormatException(name, line, "the file changed while being read");
        for (int k = 0; k < _kinds.Length; k++)
        {
            int j = _layout.Features[k];
            string f = fields[j];
            bool missing = InputSchema.IsMissing(f, nanIsMissing);
            if (_numbers[k] is { } x) x[_row] = missing ? float.NaN : InputSchema.ParseNumber(f, name, line, j, _layout.Header[j]);
            else if (missing) _codes[k]![_row] = -1;
            else
            {
                var levels = _levels[k];
                if (!levels.TryGetValue(f, out int code)) levels.Add(f, code = levels.Count);
                _codes[k]![_row] = code;
            }
        }
        if (_layout.Label >= 0)
        {
            string label = fields[_layout.Label];
            if (label.Length == 0)
                throw new DataFormatException(name, line, $"column {_layout.Label + 1} ('{DisplayText.Of(_layout.Header[_layout.Label])}', the label): expected a label, found an empty field");
            _labels[_row] = _classes.Add(label);
        }
        if (_weights is not null)
        {
            string w = fields[_layout.Weight];
            float v = InputSchema.ParseNumber(w, name, line, _layout.Weight, _layout.Header[_layout.Weight]);
            if (!(v >= 0)) throw new DataFormatException(name, line, $"column {_layout.Weight + 1} (the weight): expected a weight ≥ 0, found {DisplayText.Of(w)}");
            _weights[_row] = v;
        }
        if (_ids is not null) _ids[_row] = fields[_layout.Id];
        _row++;
        return true;
    }

    public TabularTable Finish()
    {
        if (_row != _labels.Length) throw new DataFormatException(name, null, $"expected {_labels.Length} rows (first pass), found {_row}: the file changed while being read");
        string[] classes = _layout.Label >= 0 ? _classes.Finish(_labels) : ["?"];
        var levels = _levels.Select(d => d.OrderBy(p => p.Value).Select(p => p.Key).ToArray()).ToArray();
        var names = _layout.Features.Select(j => _layout.Header[j]).ToArray();
        return new TabularTable(name, names, _kinds, _numbers, _codes, levels, _labels, classes, _weights, _ids,
            _layout.Label >= 0 ? _layout.Header[_layout.Label] : null, _layout.LabelByName, nanIsMissing);
    }
}

using System.Globalization;
using System.IO.Compression;
using Softmax.Data;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// Reads delimited numeric rows one at a time (a file, plain or gzip, or stdin), so prediction streams: memory is
/// one row, whatever the input size. Each row holds either the model's D features, or D features plus a label
/// column (dropped; by default the last, or --label-column). The delimiter (',', ';', tab, '|') and a header row
/// are detected from the first line. Errors name the source, the line and the column.
/// </summary>
public sealed class CsvRowStream : IDisposable
{
    private static readonly char[] Delimiters = [',', ';', '\t', '|'];
    private readonly TextReader _reader;
    private readonly string _name;
    private readonly int _features;
    private readonly string? _labelSpec;
    private char _delimiter;
    private int _labelColumn = -1;
    private long _line, _current, _firstLine;
    private string? _pending;

    /// <summary>Opens <paramref name="path"/> ("-" for stdin) for rows of <paramref name="features"/> features.</summary>
    public CsvRowStream(string path, int features, string? labelColumn)
    {
        _name = path == "-" ? "<stdin>" : path;
        _features = features;
        _labelSpec = labelColumn;
        if (path == "-") _reader = Console.In;
        else
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"No such file: {path}", path);
            Stream s = File.OpenRead(path);
            if (IsGzip(path)) s = new GZipStream(s, CompressionMode.Decompress);
            _reader = new StreamReader(s, System.Text.Encoding.UTF8, true, 1 << 16);
        }
        ReadHeader();
    }

    private static bool IsGzip(string path)
    {
        Span<byte> head = stackalloc byte[2];
        using var f = File.OpenRead(path);
        return f.Read(head) == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    /// <summary>The column names when the input had a header.</summary>
    public string[]? Header { get; private set; }

    /// <summary>The label of the last row read, when the input carries a label column.</summary>
    public string? Label { get; private set; }

    /// <summary>Whether rows carry a label column.</summary>
    public bool HasLabels => _labelColumn >= 0;

    /// <summary>Reads the next row's features into <paramref name="row"/>; false at the end.</summary>
    public bool Next(Span<float> row)
    {
        while (true)
        {
            string? text;
            if (_pending is not null) { text = _pending; _pending = null; _current = _firstLine; }
            else { text = _reader.ReadLine(); _current = ++_line; }
            if (text is null) return false;
            if (text.Length == 0 || text.AsSpan().Trim().IsEmpty) continue;
            Parse(text, row);
            return true;
        }
    }

    private void ReadHeader()
    {
        string? first;
        do { first = _reader.ReadLine(); _line++; } while (first is not null && first.AsSpan().Trim().IsEmpty);
        if (first is null) throw new DataFormatException(_name, null, "expected CSV rows, found an empty input");
        _firstLine = _line;
        _delimiter = Delimiters.OrderByDescending(d => first.Count(c => c == d)).First();
        var fields = Split(first);
        if (fields.Length != _features && fields.Length != _features + 1)
            throw new DataFormatException(_name, _line,
                $"expected {_features} features per row (the model's), or {_features + 1} columns with a label, found {fields.Length} columns");
        bool header = fields.Any(f => !float.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        if (fields.Length == _features + 1)
        {
            if (_labelSpec is null) _labelColumn = fields.Length - 1;
            else if (int.TryParse(_labelSpec, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
                _labelColumn = index < 0 ? fields.Length + index : index;
            else if (header) _labelColumn = Array.IndexOf(fields, _labelSpec);
            if (_labelColumn < 0 || _labelColumn >= fields.Length)
                throw new DataFormatException(_name, _line, $"expected the label column '{_labelSpec}', found columns {string.Join(", ", fields)}");
            // A header is only real when the feature fields are not numbers (a string label is allowed).
            header = fields.Where((_, i) => i != _labelColumn).Any(f => !float.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        }
        if (header) Header = fields;
        else _pending = first;
    }

    private string[] Split(string line)
    {
        var fields = line.Split(_delimiter);
        for (int i = 0; i < fields.Length; i++)
        {
            var f = fields[i].Trim();
            if (f.Length >= 2 && f[0] == '"' && f[^1] == '"') f = f[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
            fields[i] = f;
        }
        return fields;
    }

    private void Parse(string text, Span<float> row)
    {
        var fields = Split(text);
        int expected = _features + (HasLabels ? 1 : 0);
        if (fields.Length != expected)
            throw new DataFormatException(_name, _current, $"expected {expected} columns, found {fields.Length}");
        int d = 0;
        Label = null;
        for (int i = 0; i < fields.Length; i++)
        {
            if (i == _labelColumn) { Label = fields[i]; continue; }
            if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                throw new DataFormatException(_name, _current, $"column {i + 1}: expected a finite number, found '{fields[i]}'");
            row[d++] = v;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(_reader, Console.In)) _reader.Dispose();
    }
}

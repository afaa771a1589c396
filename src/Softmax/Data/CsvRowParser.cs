using System.Text;

namespace Softmax.Data;

/// <summary>Parses CSV records straight into the rows of the final matrix; errors name the line and column.</summary>
internal struct RowParser(DenseMatrix matrix, int[] labelIds, LabelMap labels, string name, byte delimiter, int columns,
    int labelColumn, string[]? columnNames, bool skip) : IRecordVisitor
{
    public readonly DenseMatrix Matrix = matrix;
    public readonly int[] LabelIds = labelIds;
    public readonly LabelMap Labels = labels;
    public int Row;
    private readonly string _name = name;
    private readonly byte _delimiter = delimiter;
    private readonly int _columns = columns;
    private readonly int _labelColumn = labelColumn;
    private readonly string[]? _columnNames = columnNames;
    private readonly List<byte> _scratch = [];
    private bool _skip = skip;

    public bool Visit(ReadOnlySpan<byte> record, long line)
    {
        if (CsvRecords.IsBlank(record)) return true;
        if (_skip) { _skip = false; return true; }
        if (Row >= LabelIds.Length)
            throw new DataFormatException(_name, line, $"expected {LabelIds.Length} rows (first pass), found more: the file changed while being read");
        var row = Matrix.Row(Row);
        int pos = 0, column = 0;
        while (true)
        {
            if (column == _columns) throw Ragged(record, line);
            int end;
            if (column == _labelColumn) end = ParseLabel(record, pos, line);
            else end = ParseNumber(record, pos, line, column, ref row[column < _labelColumn ? column : column - 1]);
            column++;
            if (end >= record.Length) break;
            pos = end + 1;
        }
        if (column != _columns) throw Ragged(record, line);
        Row++;
        return true;
    }

    private int ParseNumber(ReadOnlySpan<byte> record, int pos, long line, int column, ref float target)
    {
        int i = pos;
        var status = FloatParser.ParsePrefix(record, ref i, out float value);
        if (status == NumberStatus.Ok)
        {
            while (i < record.Length && record[i] == ' ') i++;
            if (i == record.Length || record[i] == _delimiter) { target = value; return i; }
        }
        // Slow path: quoted, malformed, NaN or infinite.
        var field = CsvRecords.Field(record, pos, _delimiter, _scratch, _name, line, column + 1, out int end);
        status = field.Length == 0 ? NumberStatus.NotANumber : FloatParser.Parse(field, out value);
        if (status == NumberStatus.Ok) { target = value; return end; }
        string what = field.Length == 0 ? "an empty field"
            : status == NumberStatus.NaN ? "NaN"
            : status == NumberStatus.Infinity ? $"an infinite value '{Shorten(field)}'"
            : $"'{Shorten(field)}'";
        throw new DataFormatException(_name, line, $"{ColumnName(column)}: expected a finite number, found {what}");
    }

    private int ParseLabel(ReadOnlySpan<byte> record, int pos, long line)
    {
        var field = CsvRecords.Field(record, pos, _delimiter, _scratch, _name, line, _labelColumn + 1, out int end);
        if (field.Length == 0) throw new DataFormatException(_name, line, $"{ColumnName(_labelColumn)} (label): expected a label, found an empty field");
        LabelIds[Row] = Labels.Add(CsvRecords.Decode(field, _name, line, _labelColumn + 1));
        return end;
    }

    private readonly DataFormatException Ragged(ReadOnlySpan<byte> record, long line)
    {
        int fields = CsvRecords.Split(record, _delimiter, _name, line).Count;
        return new DataFormatException(_name, line, $"expected {_columns} fields, found {fields} (ragged row)");
    }

    private readonly string ColumnName(int column) =>
        _columnNames is null ? $"column {column + 1}" : $"column {column + 1} ('{_columnNames[column]}')";

    private static string Shorten(ReadOnlySpan<byte> field)
    {
        string s = Encoding.UTF8.GetString(field.Length > 40 ? field[..40] : field);
        return field.Length > 40 ? s + "…" : s;
    }
}

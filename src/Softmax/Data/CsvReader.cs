using System.Text;

namespace Softmax.Data;

/// <summary>
/// Reads delimited numeric text into a <see cref="DenseMatrix"/> plus one label column. Invariant culture,
/// RFC 4180 quoting, header and delimiter detection. Two streaming passes (count rows, then parse straight into
/// the final matrix), so memory is the decoded matrix plus one read buffer. Lines that are empty or hold only spaces and tabs are skipped (<see cref="CsvRecords"/>'s rules).
/// </summary>
public static class CsvReader
{
    /// <summary>Reads a CSV file, plain or gzip-compressed.</summary>
    public static Dataset Read(string path, CsvOptions? options = null) =>
        Read(DataFiles.Opener(path), path, options);

    /// <summary>
    /// Reads CSV from a stream that <paramref name="open"/> creates; it is called up to three times (sniff, count,
    /// parse). <paramref name="name"/> names the source in errors.
    /// </summary>
    public static Dataset Read(Func<Stream> open, string name, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        options ??= new CsvOptions();
        var (firstFields, firstLine, delimiter) = CsvRecords.ReadFirst(open, name, options.Delimiter);
        if (firstFields is null) throw new DataFormatException(name, null, "expected CSV rows, found an empty file");
        int columns = firstFields.Count;
        if (columns < 2)
            throw new DataFormatException(name, firstLine,
                $"expected at least 2 columns (features and a label) separated by '{(delimiter == '\t' ? "\\t" : (char)delimiter)}', found 1");
        bool? header = options.HasHeader ?? (options.LabelColumn is not null ? true : null);
        int labelColumn = ResolveLabelColumn(options, firstFields, columns, name, header != false);
        header ??= DetectHeader(firstFields, labelColumn);
        string[]? columnNames = header.Value ? firstFields.ToArray() : null;

        var counter = new Counter();
        using (var s = open()) TextRecords.ForEach(s, quotes: true, ref counter);
        int rows = checked((int)(counter.Count - (header.Value ? 1 : 0)));
        if (rows <= 0) throw new DataFormatException(name, null, "expected data rows after the header, found none");

        var parser = new RowParser(new DenseMatrix(rows, columns - 1), new int[rows], new LabelMap(), name, delimiter,
            columns, labelColumn, columnNames, skip: header.Value);
        using (var s = open()) TextRecords.ForEach(s, quotes: true, ref parser);
        if (parser.Row != rows)
            throw new DataFormatException(name, null, $"expected {rows} rows (first pass), found {parser.Row}: the file changed while being read");
        var classNames = parser.Labels.Finish(parser.LabelIds);
        return new Dataset(parser.Matrix, parser.LabelIds, classNames, name: Path.GetFileName(name));
    }

    private static int ResolveLabelColumn(CsvOptions options, List<string> first, int columns, string name, bool headerPossible)
    {
        if (options.LabelColumn is { } label)
        {
            if (!headerPossible) throw new ArgumentException("A label column name needs a header row.", nameof(options));
            int k = first.FindIndex(f => f == label);
            if (k < 0) k = first.FindIndex(f => string.Equals(f, label, StringComparison.OrdinalIgnoreCase));
            if (k < 0)
                throw new DataFormatException(name, 1, $"expected a header column named '{label}', found columns {string.Join(", ", first.Select(f => $"'{f}'"))}");
            return k;
        }
        int index = options.LabelIndex ?? -1;
        int resolved = index < 0 ? columns + index : index;
        if ((uint)resolved >= (uint)columns)
            throw new DataFormatException(name, 1, $"expected the label column index {index} to lie within the {columns} columns");
        return resolved;
    }

    private static bool DetectHeader(List<string> fields, int labelColumn)
    {
        for (int j = 0; j < fields.Count; j++)
        {
            if (j == labelColumn || fields[j].Length == 0) continue;
            if (FloatParser.Parse(Encoding.UTF8.GetBytes(fields[j]), out _) == NumberStatus.NotANumber) return true;
        }
        return false;
    }

    private struct Counter : IRecordVisitor
    {
        public long Count;

        public bool Visit(ReadOnlySpan<byte> record, long line)
        {
            if (!CsvRecords.IsBlank(record)) Count++;
            return true;
        }
    }
}

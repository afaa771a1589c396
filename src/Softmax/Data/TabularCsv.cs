using System.Globalization;

namespace Softmax.Data;

/// <summary>How <see cref="TabularCsv"/> reads a CSV file with a header. Columns are named by header name or 0-based index.</summary>
public sealed record TabularCsvOptions
{
    /// <summary>Field delimiter; null detects it.</summary>
    public char? Delimiter { get; init; }
    /// <summary>The label column; null picks a column named label, target, class or y (any case), else the last.</summary>
    public string? LabelColumn { get; init; }
    /// <summary>A column of non-negative sample weights, or null.</summary>
    public string? WeightColumn { get; init; }
    /// <summary>A column of row identifiers kept as text (not a feature), or null.</summary>
    public string? IdColumn { get; init; }
    /// <summary>Columns that are neither features nor roles.</summary>
    public IReadOnlyList<string> IgnoreColumns { get; init; } = [];
    /// <summary>Read <c>NaN</c> as a missing value (else it is an error).</summary>
    public bool NanIsMissing { get; init; }
    /// <summary>A fitted schema: its columns (by name) are the features, with its kinds; other columns are ignored.</summary>
    public InputSchema? Schema { get; init; }
    /// <summary>Whether a label column must be present (false: used when there is one; with a schema, a column it does not use).</summary>
    public bool RequireLabel { get; init; } = true;
}

/// <summary>
/// Reads a CSV file with a header into a <see cref="TabularTable"/>: numeric and categorical columns, missing values
/// (empty, <c>NA</c>, <c>NaN</c> when asked) and the label, weight and id roles. Two passes over the file (classify the
/// columns, then parse), through <see cref="CsvRecords"/>. A column is categorical when most of its values are not
/// numbers; a numeric column with a few non-numbers is an error naming the first, with its line and column.
/// </summary>
public static class TabularCsv
{
    /// <summary>Header names that make a column the label when none is given.</summary>
    public static readonly IReadOnlyList<string> LabelNames = ["label", "target", "class", "y"];

    /// <summary>Reads <paramref name="path"/>, a CSV file (plain or gzip), in two passes.</summary>
    public static TabularTable Read(string path, TabularCsvOptions? options = null)
    {
        var open = DataFiles.Opener(path);
        options ??= new TabularCsvOptions();
        var survey = new Survey(path, options);
        using (var s = open()) CsvRecords.Read(s, path, options.Delimiter, survey.Visit);
        if (survey.Layout is null) throw new DataFormatException(path, null, "expected a header and rows, found an empty file");
        if (survey.Rows == 0) throw new DataFormatException(path, null, "expected data rows after the header, found none");
        var builder = new TabularBuilder(path, survey.Layout, survey.DecideKinds(), survey.Rows, options.NanIsMissing);
        using (var s = open()) CsvRecords.Read(s, path, options.Delimiter, builder.Visit);
        return builder.Finish();
    }

    /// <summary>
    /// Whether the first record of a CSV file is a header: it names a column label/target/class/y, a label column is
    /// given by name, or a feature field (not the label's: <paramref name="labelColumn"/>, by default the last) is
    /// neither a number nor a missing value. The rule <see cref="CsvReader"/> uses, so both readers agree.
    /// </summary>
    public static bool HasHeader(string path, string? labelColumn = null)
    {
        var first = CsvRecords.ReadFirst(DataFiles.Opener(path), path, null).Fields;
        if (first is null) return false;
        if (first.Any(f => LabelNames.Contains(f, StringComparer.OrdinalIgnoreCase))) return true;
        int label = first.Count - 1;
        if (labelColumn is not null)
        {
            if (!int.TryParse(labelColumn, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index)) return true;
            label = index < 0 ? first.Count + index : index;
        }
        return first.Where((f, i) => i != label).Any(f => !InputSchema.IsMissing(f, true) && !double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
    }

    /// <summary>Resolves a column given by name or 0-based index against a header; −1 when <paramref name="spec"/> is null.</summary>
    public static int FindColumn(IReadOnlyList<string> header, string? spec, string name, string role)
    {
        if (spec is null) return -1;
        for (int i = 0; i < header.Count; i++) if (header[i] == spec) return i;
        if (int.TryParse(spec, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
        {
            int k = index < 0 ? header.Count + index : index;
            if ((uint)k < (uint)header.Count) return k;
        }
        for (int i = 0; i < header.Count; i++) if (string.Equals(header[i], spec, StringComparison.OrdinalIgnoreCase)) return i;
        throw new DataFormatException(name, 1,
            $"expected a {role} column '{DisplayText.Of(spec)}', found columns {string.Join(", ", header.Take(20).Select(h => $"'{DisplayText.Of(h)}'"))}");
    }

    /// <summary>Column roles resolved against the header.</summary>
    internal sealed record ColumnLayout(string[] Header, int Label, bool LabelByName, int Weight, int Id, int[] Features, InputSchema? Schema);

    private static ColumnLayout Resolve(string[] header, string name, TabularCsvOptions o)
    {
        int weight = FindColumn(header, o.WeightColumn, name, "weight");
        int id = FindColumn(header, o.IdColumn, name, "id");
        var ignore = o.IgnoreColumns.Select(c => FindColumn(header, c, name, "ignored")).ToHashSet();
        int[]? schemaMap = o.Schema?.Bind(header, name);
        int label = FindColumn(header, o.LabelColumn, name, "label");
        bool byName = false;
        if (label < 0)
        {
            label = Array.FindIndex(header, h => LabelNames.Contains(h, StringComparer.OrdinalIgnoreCase));
            byName = label >= 0;
            if (label >= 0 && schemaMap is not null && schemaMap.Contains(label)) label = -1;
            // Else the last column; with a schema, the last one it does not use (when a label is needed).
            if (label < 0 && (schemaMap is null || o.RequireLabel))
                label = Enumerable.Range(0, header.Length).LastOrDefault(i => (schemaMap is null || !schemaMap.Contains(i)) && i != weight && i != id && !ignore.Contains(i), -1);
        }
        if (label < 0 && o.RequireLabel) throw new DataFormatException(name, 1, "expected a label column, found none (give --label-column)");
        if (label >= 0 && (label == weight || label == id || ignore.Contains(label)))
            throw new DataFormatException(name, 1, $"column '{DisplayText.Of(header[label])}' cannot be both the label and another role");
        var features = schemaMap ?? Enumerable.Range(0, header.Length).Where(i => i != label && i != weight && i != id && !ignore.Contains(i)).ToArray();
        if (features.Length == 0) throw new DataFormatException(name, 1, "expected at least one feature column besides the label and the other roles");
        return new ColumnLayout(header, label, byName, weight, id, features, o.Schema);
    }

    /// <summary>Pass 1: the header, the row count, and per feature column how many values are numbers and how many are not.</summary>
    private sealed class Survey(string name, TabularCsvOptions options)
    {
        public ColumnLayout? Layout;
        public int Rows;
        private int[] _numbers = [], _words = [];
        private (long Line, string Value)[] _firstWord = [];

        public bool Visit(IReadOnlyList<string> fields, long line)
        {
            if (Layout is null)
            {
                Layout = Resolve(fields.ToArray(), name, options);
                int n = Layout.Features.Length;
                (_numbers, _words, _firstWord) = (new int[n], new int[n], new (long, string)[n]);
                return true;
            }
            if (fields.Count != Layout.Header.Length)
                throw new DataFormatException(name, line, $"expected {Layout.Header.Length} fields (as the header), found {fields.Count} (ragged row)");
            Rows = checked(Rows + 1);
            for (int k = 0; k < Layout.Features.Length; k++)
            {
                string f = fields[Layout.Features[k]];
                if (InputSchema.IsMissing(f, options.NanIsMissing)) continue;
                if (double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) _numbers[k]++;
                else if (_words[k]++ == 0) _firstWord[k] = (line, f);
            }
            return true;
        }

        /// <summary>Numeric unless most values are not numbers; a few non-numbers in a numeric column are an error.</summary>
        public ColumnKind[] DecideKinds()
        {
            var layout = Layout!;
            var kinds = new ColumnKind[layout.Features.Length];
            for (int k = 0; k < kinds.Length; k++)
            {
                if (layout.Schema is { } schema) { kinds[k] = schema.Columns[k].Kind; continue; }
                if (_words[k] == 0) continue;
                if (_words[k] >= _numbers[k]) { kinds[k] = ColumnKind.Categorical; continue; }
                var (line, value) = _firstWord[k];
                throw new DataFormatException(name, line,
                    $"column {layout.Features[k] + 1} ('{DisplayText.Of(layout.Header[layout.Features[k]])}'): expected a finite number (the column is numeric: {_numbers[k]} numbers, {_words[k]} other values), found '{DisplayText.Of(value)}'");
            }
            return kinds;
        }
    }
}

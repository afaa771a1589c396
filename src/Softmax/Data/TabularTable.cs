using System.Globalization;

namespace Softmax.Data;

/// <summary>
/// Rows of named raw columns as read by <see cref="TabularCsv"/>, before featurization: numbers (NaN where missing),
/// categories (codes into the file's own levels, −1 where missing), labels, optional weights and ids.
/// <see cref="FitSchema"/> fits the featurization on chosen rows (the training split only);
/// <see cref="ToDataset"/> applies a fitted schema.
/// </summary>
public sealed class TabularTable
{
    private readonly float[]?[] _numbers;   // per feature column: (rows), NaN = missing
    private readonly int[]?[] _codes;       // per feature column: (rows), −1 = missing
    private readonly string[][] _levels;    // per feature column: the file's categories by code

    internal TabularTable(string name, string[] columns, ColumnKind[] kinds, float[]?[] numbers, int[]?[] codes, string[][] levels,
        int[] labels, string[] classNames, float[]? weights, string[]? ids, string? labelColumn, bool labelByName, bool nanIsMissing)
    {
        (Name, Columns, Kinds, _numbers, _codes, _levels) = (name, columns, kinds, numbers, codes, levels);
        (Labels, ClassNames, Weights, Ids) = (labels, classNames, weights, ids);
        (LabelColumn, LabelByName, NanIsMissing) = (labelColumn, labelByName, nanIsMissing);
    }

    /// <summary>The source, for messages.</summary>
    public string Name { get; }
    /// <summary>The feature columns' header names.</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>Each feature column's kind.</summary>
    public IReadOnlyList<ColumnKind> Kinds { get; }
    /// <summary>Class index per row (all 0 when the file has no label column).</summary>
    public int[] Labels { get; }
    /// <summary>Class names by index.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Per-row weights, or null.</summary>
    public float[]? Weights { get; }
    /// <summary>Per-row ids, or null.</summary>
    public IReadOnlyList<string>? Ids { get; }
    /// <summary>The label column's name, or null when there is none.</summary>
    public string? LabelColumn { get; }
    /// <summary>Whether the label column was chosen by its name (label, target, class, y) rather than given or last.</summary>
    public bool LabelByName { get; }
    /// <summary>Whether NaN was read as missing.</summary>
    public bool NanIsMissing { get; }
    /// <summary>Number of rows.</summary>
    public int Rows => Labels.Length;
    /// <summary>Missing values per feature column, over all rows.</summary>
    public int MissingCount(int column) =>
        _numbers[column] is { } x ? x.Count(float.IsNaN) : _codes[column]!.Count(c => c < 0);

    /// <summary>
    /// Fits the featurization on <paramref name="rows"/> only: numeric columns impute the mean, categorical ones
    /// one-hot their levels (sorted ordinally, as scikit-learn's OneHotEncoder) and impute the most frequent level
    /// (ties: the smallest, as SimpleImputer). With <paramref name="missingIndicators"/>, a column with a missing value
    /// among those rows gets an indicator feature.
    /// </summary>
    public InputSchema FitSchema(ReadOnlySpan<int> rows, bool missingIndicators = false)
    {
        if (rows.Length == 0) throw new ArgumentException("Cannot fit on no rows.", nameof(rows));
        var columns = new InputColumn[Columns.Count];
        for (int k = 0; k < columns.Length; k++)
        {
            bool anyMissing = false;
            if (_numbers[k] is { } x)
            {
                double sum = 0;
                int n = 0;
                foreach (int i in rows)
                {
                    if (float.IsNaN(x[i])) { anyMissing = true; continue; }
                    sum += x[i];
                    n++;
                }
                columns[k] = new InputColumn(Columns[k], ColumnKind.Numeric) { Fill = n == 0 ? 0f : (float)(sum / n), MissingIndicator = missingIndicators && anyMissing };
                continue;
            }
            var codes = _codes[k]!;
            var counts = new int[_levels[k].Length];
            foreach (int i in rows)
                if (codes[i] < 0) anyMissing = true;
                else counts[codes[i]]++;
            var present = Enumerable.Range(0, counts.Length).Where(c => counts[c] > 0).OrderBy(c => _levels[k][c], StringComparer.Ordinal).ToArray();
            int mode = -1;
            for (int j = 0; j < present.Length; j++) if (mode < 0 || counts[present[j]] > counts[present[mode]]) mode = j;
            columns[k] = new InputColumn(Columns[k], ColumnKind.Categorical)
            {
                Categories = present.Select(c => _levels[k][c]).ToArray(),
                FillCategory = mode,
                MissingIndicator = missingIndicators && anyMissing,
            };
        }
        return new InputSchema(columns, named: true, NanIsMissing, imputes: true);
    }

    /// <summary>
    /// The rows featurized by <paramref name="schema"/> (its columns must be this table's, by name), with the
    /// schema attached; <paramref name="unseen"/> counts categorical values the schema has not seen.
    /// </summary>
    public Dataset ToDataset(InputSchema schema, out int unseen)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var position = Columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var matrix = new DenseMatrix(Rows, schema.FeatureCount);
        unseen = 0;
        int at = 0;
        for (int k = 0; k < schema.Columns.Count; k++)
        {
            var column = schema.Columns[k];
            if (!position.TryGetValue(column.Name, out int j) || Kinds[j] != column.Kind)
                throw new DataFormatException(Name, null, $"expected a {column.Kind.ToString().ToLowerInvariant()} column '{DisplayText.Of(column.Name)}' (the model's), found {(position.ContainsKey(column.Name) ? "another kind" : "none")}");
            for (int i = 0; i < Rows; i++)
            {
                var dst = matrix.Row(i).Slice(at, column.Width);
                if (column.Kind == ColumnKind.Numeric) schema.EncodeNumber(k, _numbers[j]![i], dst);
                else if (!schema.EncodeCategory(k, _codes[j]![i] is int c and >= 0 ? _levels[j][c] : null, dst)) unseen++;
            }
            at += column.Width;
        }
        return new Dataset(matrix, Labels, ClassNames, Weights, name: Path.GetFileName(Name)) { Schema = schema };
    }

    /// <summary>A short description of the columns, for a note: how many numeric and categorical, and missing values.</summary>
    public string Describe()
    {
        int numeric = Kinds.Count(k => k == ColumnKind.Numeric);
        int missing = Enumerable.Range(0, Columns.Count).Sum(MissingCount);
        return string.Create(CultureInfo.InvariantCulture,
            $"{numeric} numeric and {Columns.Count - numeric} categorical columns, {missing} missing values");
    }
}

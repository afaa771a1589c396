using System.Globalization;
using System.Text;

namespace Softmax.Data;

/// <summary>What an input column holds.</summary>
public enum ColumnKind
{
    /// <summary>A number per row; missing values are imputed with <see cref="InputColumn.Fill"/>.</summary>
    Numeric,
    /// <summary>A string per row, one-hot encoded over <see cref="InputColumn.Categories"/> (unseen: all zero).</summary>
    Categorical,
}

/// <summary>
/// One raw input column and how it becomes model features: a numeric column gives one feature (missing → the
/// training mean <see cref="Fill"/>); a categorical column gives one feature per category (missing → the training
/// mode <see cref="FillCategory"/>; a category not seen in training → all zero). With <see cref="MissingIndicator"/>
/// one more feature is 1 where the value was missing.
/// </summary>
public sealed record InputColumn(string Name, ColumnKind Kind)
{
    /// <summary>The one-hot levels, in feature order (categorical columns).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>The value imputed for a missing number (numeric columns).</summary>
    public float Fill { get; init; }

    /// <summary>Index of the category imputed for a missing value, or −1 for all zero (categorical columns).</summary>
    public int FillCategory { get; init; } = -1;

    /// <summary>Whether one more feature flags a missing value.</summary>
    public bool MissingIndicator { get; init; }

    /// <summary>How many model features the column gives.</summary>
    public int Width => (Kind == ColumnKind.Numeric ? 1 : Categories.Count) + (MissingIndicator ? 1 : 0);
}

/// <summary>
/// The input a model expects: named columns and the fitted featurization that turns them into its D features
/// (one-hot encoding, imputation, missing indicators; standardization stays in <see cref="Preprocessor"/>).
/// Columns are matched by name when <see cref="Named"/> (the names came from a header), by position otherwise.
/// A missing value is an empty field, <c>NA</c>, or <c>NaN</c> when <see cref="NanIsMissing"/>.
/// </summary>
public sealed class InputSchema
{
    private readonly Dictionary<string, int>[] _levels;

    /// <summary>Creates a schema; every column name must be distinct.</summary>
    public InputSchema(IReadOnlyList<InputColumn> columns, bool named = true, bool nanIsMissing = false, bool imputes = false)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("A schema needs at least one column.", nameof(columns));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in columns)
        {
            if (c.Kind == ColumnKind.Numeric && c.Categories.Count > 0) throw new ArgumentException($"Numeric column '{c.Name}' has categories.", nameof(columns));
            if (!seen.Add(c.Name)) throw new ArgumentException($"The column name '{c.Name}' appears twice.", nameof(columns));
            if (!float.IsFinite(c.Fill)) throw new ArgumentException($"Column '{c.Name}': the fill value must be finite.", nameof(columns));
            if (c.FillCategory < -1 || (c.Kind == ColumnKind.Categorical && c.FillCategory >= c.Categories.Count))
                throw new ArgumentException($"Column '{c.Name}': the fill category is outside its categories.", nameof(columns));
        }
        (Columns, Named, NanIsMissing, Imputes) = (columns.ToArray(), named, nanIsMissing, imputes);
        _levels = Columns.Select(c => c.Categories.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal)).ToArray();
        FeatureCount = Columns.Sum(c => c.Width);
        var names = new List<string>(FeatureCount);
        foreach (var c in Columns)
        {
            names.AddRange(c.Kind == ColumnKind.Numeric ? [c.Name] : c.Categories.Select(level => $"{c.Name}={level}"));
            if (c.MissingIndicator) names.Add($"{c.Name} missing");
        }
        FeatureNames = names;
        // A numeric column's value is its first feature; one-hot levels and indicators are not numeric.
        NumericFeatures = Columns.SelectMany(c => Enumerable.Range(0, c.Width).Select(i => i == 0 && c.Kind == ColumnKind.Numeric)).ToArray();
    }

    /// <summary>The raw input columns, in feature order.</summary>
    public IReadOnlyList<InputColumn> Columns { get; }

    /// <summary>Whether the names came from the data (a header), so input columns are matched by name.</summary>
    public bool Named { get; }

    /// <summary>Whether <c>NaN</c> is read as a missing value (else it is an error).</summary>
    public bool NanIsMissing { get; }

    /// <summary>Whether missing values are imputed (a fitted featurization); else a missing value is an error.</summary>
    public bool Imputes { get; }

    /// <summary>D, the number of model features.</summary>
    public int FeatureCount { get; }

    /// <summary>The name of each model feature: the column's, <c>column=category</c> for one-hot, <c>column missing</c> for indicators.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Per model feature: true for a numeric column's value (standardized by default), false for one-hot and indicator features.</summary>
    public IReadOnlyList<bool> NumericFeatures { get; }

    /// <summary>True when every column is numeric without an indicator: raw rows are the model's features.</summary>
    public bool IsIdentity => FeatureCount == Columns.Count && Columns.All(c => c.Kind == ColumnKind.Numeric && !c.MissingIndicator);

    /// <summary>
    /// The schema of data without names: <c>f0</c>…<c>f(D−1)</c>, or pixel positions <c>px_ROW_COL</c> (and
    /// <c>_CHANNEL</c> for several channels) for images; all numeric, matched by position.
    /// </summary>
    public static InputSchema Default(int features, ImageShape? image = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        var names = new string[features];
        if (image is { } im && im.Length == features)
        {
            for (int y = 0; y < im.Height; y++)
                for (int x = 0; x < im.Width; x++)
                    for (int ch = 0; ch < im.Channels; ch++)
                        names[im.IndexOf(y, x, ch)] = im.Channels == 1 ? $"px_{y}_{x}" : $"px_{y}_{x}_{ch}";
        }
        else for (int j = 0; j < features; j++) names[j] = "f" + j.ToString(CultureInfo.InvariantCulture);
        return Numeric(names, named: false);
    }

    /// <summary>All-numeric columns with these names (no imputation, no indicators).</summary>
    public static InputSchema Numeric(IReadOnlyList<string> names, bool named = true) =>
        new(names.Select(n => new InputColumn(n, ColumnKind.Numeric)).ToArray(), named);

    /// <summary>Whether a field is a missing value: empty, <c>NA</c>, or <c>NaN</c> when <paramref name="nanIsMissing"/>.</summary>
    public static bool IsMissing(ReadOnlySpan<char> field, bool nanIsMissing) =>
        field.IsEmpty || field.SequenceEqual("NA") || (nanIsMissing && field.Equals("nan", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// For each column, the index of the field with its name in <paramref name="header"/>; a column the header lacks is
    /// an error naming it and <paramref name="source"/>. Unnamed schemas map by position.
    /// </summary>
    public int[] Bind(IReadOnlyList<string> header, string source)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (!Named)
        {
            if (header.Count < Columns.Count)
                throw new DataFormatException(source, 1, $"expected {Columns.Count} feature columns (the model's), found {header.Count}");
            return [.. Enumerable.Range(0, Columns.Count)];
        }
        var map = new int[Columns.Count];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = header.Count - 1; i >= 0; i--) index[header[i]] = i;
        var missing = new List<string>();
        for (int k = 0; k < map.Length; k++)
        {
            if (index.TryGetValue(Columns[k].Name, out int i)) map[k] = i;
            else missing.Add(Columns[k].Name);
        }
        if (missing.Count > 0)
            throw new DataFormatException(source, 1,
                $"the model's input column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Take(5).Select(m => $"'{DisplayText.Of(m)}'"))}{(missing.Count > 5 ? $" (and {missing.Count - 5} more)" : "")} {(missing.Count > 1 ? "are" : "is")} missing from the header");
        return map;
    }

    /// <summary>
    /// Encodes one record into the model's D features. <paramref name="map"/> (from <see cref="Bind"/>) gives each
    /// column's field. Returns how many categorical values were not seen in training (encoded as all zero).
    /// Errors name <paramref name="source"/>, <paramref name="line"/> and the column.
    /// </summary>
    public int Encode(IReadOnlyList<string> fields, ReadOnlySpan<int> map, Span<float> features, string source, long line)
    {
        int at = 0, unseen = 0;
        for (int k = 0; k < Columns.Count; k++)
        {
            var c = Columns[k];
            string field = fields[map[k]];
            var dst = features.Slice(at, c.Width);
            at += c.Width;
            bool missing = IsMissing(field, NanIsMissing);
            if (missing && !Imputes)
                throw new DataFormatException(source, line, $"column {map[k] + 1} ('{DisplayText.Of(c.Name)}'): expected a finite number, found {(field.Length == 0 ? "an empty field" : $"'{DisplayText.Of(field)}'")} (this model imputes no missing values)");
            if (c.Kind == ColumnKind.Categorical)
            {
                if (!EncodeCategory(k, missing ? null : field, dst)) unseen++;
                continue;
            }
            EncodeNumber(k, missing ? float.NaN : ParseNumber(field, source, line, map[k], c.Name), dst);
        }
        return unseen;
    }

    /// <summary>Numeric column <paramref name="column"/>'s features for <paramref name="value"/> (NaN: missing).</summary>
    public void EncodeNumber(int column, float value, Span<float> destination)
    {
        var c = Columns[column];
        bool missing = float.IsNaN(value);
        destination[0] = missing ? c.Fill : value;
        if (c.MissingIndicator) destination[1] = missing ? 1 : 0;
    }

    /// <summary>Categorical column <paramref name="column"/>'s features for <paramref name="level"/> (null: missing); false when the level is unseen.</summary>
    public bool EncodeCategory(int column, string? level, Span<float> destination)
    {
        var c = Columns[column];
        destination.Clear();
        int k = level is null ? c.FillCategory : _levels[column].GetValueOrDefault(level, -1);
        if (k >= 0) destination[k] = 1;
        if (c.MissingIndicator && level is null) destination[^1] = 1;
        return level is null || k >= 0;
    }

    /// <summary>Parses a numeric field as the readers do; anything else is an error naming the place.</summary>
    public static float ParseNumber(string field, string source, long line, int fieldIndex, string column)
    {
        Span<byte> utf8 = field.Length <= 128 ? stackalloc byte[field.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(field.Length)];
        int n = Encoding.UTF8.GetBytes(field, utf8);
        var status = FloatParser.Parse(utf8[..n], out float value);
        if (status == NumberStatus.Ok) return value;
        string what = status == NumberStatus.NaN ? "NaN (give --nan-missing to read it as missing)"
            : status == NumberStatus.Infinity ? $"an infinite value '{DisplayText.Of(field)}'" : $"'{DisplayText.Of(field)}'";
        throw new DataFormatException(source, line, $"column {fieldIndex + 1} ('{DisplayText.Of(column)}'): expected a finite number, found {what}");
    }
}

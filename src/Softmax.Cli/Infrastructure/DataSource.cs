using System.Globalization;
using Softmax.Data;
using Softmax.Streaming;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// Resolves what --data / --test name: a known dataset (digits, fashion-mnist, mnist, cifar10; each with its own
/// train/test split) or a file or directory in any supported format, including a packed file (<c>.smxp</c>, written by
/// <c>softmax data pack</c>), which is read into memory here and streamed by <c>train --stream</c>.
/// </summary>
public sealed record DataSource(string Spec, DataFormat Format, string? LabelColumn)
{
    /// <summary>The --format values.</summary>
    public static readonly string[] FormatNames = ["auto", "idx", "cifar10", "cifar100", "csv", "libsvm", "npy"];

    /// <summary>Column roles and missing values of tabular CSV.</summary>
    public TabularSettings Tabular { get; init; } = new();

    /// <summary>Receives notes about how the data were read (the label column chosen, the column kinds).</summary>
    public Action<string>? Notes { get; init; }

    /// <summary>
    /// True when <see cref="Spec"/> is a CSV file with a header: read as tabular data (named columns, categorical
    /// and missing values, column roles) into a model with an input schema.
    /// </summary>
    public bool IsTabular => !IsPacked && IsCsvFile && (Tabular.AnyRole || TabularCsv.HasHeader(Spec, LabelColumn));

    /// <summary>True when <see cref="Spec"/> is an existing file read as CSV (by --format, or detected).</summary>
    public bool IsCsvFile => !IsNamed && File.Exists(Spec) && (Format == DataFormat.Csv || (Format == DataFormat.Auto && DataLoader.Detect(Spec) == DataFormat.Csv));

    /// <summary>True when <see cref="Spec"/> names a known dataset rather than an existing path.</summary>
    public bool IsNamed => IsName(Spec);

    /// <summary>True when <see cref="Spec"/> is a packed file (<c>.smxp</c>).</summary>
    public bool IsPacked => IsPackedPath(Spec);

    /// <summary>True when <paramref name="spec"/> names a packed file by its extension.</summary>
    public static bool IsPackedPath(string spec) => spec.EndsWith(".smxp", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="spec"/> is a dataset name and no file or directory of that name exists.</summary>
    public static bool IsName(string spec) => !File.Exists(spec) && !Directory.Exists(spec) && NamedDatasets.Canonical(spec) is not null;

    /// <summary>
    /// Fails with "did you mean" when <paramref name="spec"/> is neither a path nor a dataset name but close to one
    /// (<c>--data digit</c>); other missing paths are left to the reader's own message.
    /// </summary>
    public static void CheckSpec(string spec, string flag)
    {
        if (spec.Contains(',', StringComparison.Ordinal) || File.Exists(spec) || Directory.Exists(spec) || IsName(spec)) return;
        if (Suggest.Closest(spec.Trim().ToLowerInvariant(), NamedDatasets.Names) is { } name)
            throw new UsageException($"{flag}: no file, directory or dataset named '{spec}'. Did you mean '{name}'? (named sets: {string.Join(", ", NamedDatasets.Names)})");
    }

    /// <summary>Parses --format.</summary>
    public static DataFormat ParseFormat(string? text) => (text ?? "auto").ToLowerInvariant() switch
    {
        "auto" => DataFormat.Auto,
        "idx" => DataFormat.Idx,
        "cifar10" or "cifar" => DataFormat.Cifar10,
        "cifar100" => DataFormat.Cifar100,
        "csv" => DataFormat.Csv,
        "libsvm" or "svmlight" => DataFormat.LibSvm,
        "npy" => DataFormat.Npy,
        _ => throw new UsageException($"--format: unknown format '{text}'; expected one of {string.Join(", ", FormatNames)}."),
    };

    /// <summary>The reader settings implied by --label-column.</summary>
    public DataLoadOptions LoadOptions(DataSplit split = DataSplit.Train)
    {
        var csv = new CsvOptions();
        if (LabelColumn is { Length: > 0 } column)
            csv = int.TryParse(column, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index)
                ? csv with { LabelIndex = index }
                : csv with { LabelColumn = column };
        return new DataLoadOptions { Csv = csv, Split = split };
    }

    /// <summary>
    /// Training rows and, when the source has one, its test rows: a named dataset gives its standard split; a
    /// directory of IDX or CIFAR files gives its train and test files; a single file gives no test rows.
    /// </summary>
    public (Dataset Train, Dataset? Test) LoadTrainTest()
    {
        if (IsNamed) return NamedDatasets.Load(Spec);
        return (!IsPacked && Directory.Exists(Spec) ? DataLoader.Load(Spec, Format, LoadOptions(DataSplit.Train)) : LoadTrain(), LoadOwnTestSplit());
    }

    /// <summary>The training rows alone: what <see cref="LoadTrainTest"/> gives as Train, without reading any test files.</summary>
    public Dataset LoadTrain()
    {
        if (IsNamed) return NamedDatasets.Load(Spec, DataSplit.Train);
        if (IsPacked) return LoadPacked(Spec);
        if (IsTabular) return LoadTabular();
        if (Tabular.AnyRole) throw new UsageException("--weight-column, --id-column and --ignore-columns need a CSV file with a header.");
        return DataLoader.Load(Spec, Format, LoadOptions());
    }

    /// <summary>A tabular CSV file, its featurization fitted on the training split only.</summary>
    private Dataset LoadTabular()
    {
        var table = TabularCsv.Read(Spec, Tabular.ReaderOptions(LabelColumn));
        var rows = Tabular.HoldoutFraction > 0
            ? Dataset.StratifiedSplit(table.Labels, table.ClassNames.Count, Tabular.HoldoutFraction, Tabular.Seed).Train
            : Enumerable.Range(0, table.Rows).ToArray();
        var data = table.ToDataset(table.FitSchema(rows, Tabular.MissingIndicators), out _);
        Notes?.Invoke($"label column: '{DisplayText.Of(table.LabelColumn)}' ({(LabelColumn is not null ? "--label-column" : table.LabelByName ? "named like a label" : "the last column")}); " +
            table.Describe() + (Tabular.Columns.WeightColumn is { } w ? $"; sample weights from '{DisplayText.Of(w)}'" : ""));
        return data;
    }

    /// <summary>
    /// The rows to evaluate, read for a model with <paramref name="schema"/>: a CSV file with a header is matched to
    /// the schema's columns by name (reordered, extra columns ignored, a missing one an error naming it) and
    /// featurized by it; <paramref name="unseenCategories"/> counts category values the model has not seen.
    /// </summary>
    public Dataset LoadForEvaluation(Softmax.Data.InputSchema schema, out int unseenCategories)
    {
        ArgumentNullException.ThrowIfNull(schema);
        unseenCategories = 0;
        bool tabular = IsTabular;
        if (!tabular && !schema.IsIdentity)
            throw new DataFormatException(Spec, null, "expected a CSV file with a header naming the model's input columns (it has categorical or imputed columns)");
        if (!tabular || !schema.Named) return LoadForEvaluation();
        var table = TabularCsv.Read(Spec, Tabular.ReaderOptions(LabelColumn, schema));
        return table.ToDataset(schema, out unseenCategories);
    }

    /// <summary>
    /// The rows to evaluate: a named dataset's test split, a directory's test files, or the whole file.
    /// </summary>
    public Dataset LoadForEvaluation()
    {
        if (IsNamed) return NamedDatasets.Load(Spec, DataSplit.Test);
        if (IsPacked) return LoadPacked(Spec);
        return DataLoader.Load(Spec, Format, LoadOptions(Directory.Exists(Spec) ? DataSplit.Test : DataSplit.Train));
    }

    /// <summary>
    /// The test rows that come with the source, without its training rows where they can be skipped: a named
    /// dataset's test split, a directory's test files, or null (a single file has none).
    /// </summary>
    public Dataset? LoadOwnTestSplit()
    {
        if (IsNamed) return NamedDatasets.Load(Spec, DataSplit.Test);
        if (!Directory.Exists(Spec)) return null;
        try { return DataLoader.Load(Spec, Format, LoadOptions(DataSplit.Test)); }
        catch (DataFormatException) { return null; }
    }

    private static Dataset LoadPacked(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No such file: {path}", path);
        using var file = PackedDataset.Open(path);
        return file.Load();
    }
}

using Softmax.Data;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// How a CSV file with a header is read as tabular data (column roles, missing values) and which rows fit the
/// featurization: the training split only, the same rows <see cref="Dataset.Split"/> keeps for training when a
/// validation fraction is held out.
/// </summary>
public sealed record TabularSettings
{
    /// <summary>The column roles (--weight-column, --id-column, --ignore-columns) and --nan-missing, as the reader takes them.</summary>
    public TabularCsvOptions Columns { get; init; } = new();
    /// <summary>--missing-indicator: a 0/1 feature per column with missing training values.</summary>
    public bool MissingIndicators { get; init; }
    /// <summary>The validation fraction held out of training (the featurization is fitted on the rest).</summary>
    public double HoldoutFraction { get; init; }
    /// <summary>The seed of that split.</summary>
    public int Seed { get; init; }

    /// <summary>Whether any role flag was given (they need a header).</summary>
    public bool AnyRole => Columns.WeightColumn is not null || Columns.IdColumn is not null || Columns.IgnoreColumns.Count > 0;

    /// <summary>The reader options for a file whose features follow <paramref name="schema"/> (null: decided by the file).</summary>
    public TabularCsvOptions ReaderOptions(string? labelColumn, InputSchema? schema = null) =>
        Columns with { LabelColumn = labelColumn, Schema = schema, NanIsMissing = Columns.NanIsMissing || schema is { NanIsMissing: true } };
}

using Softmax.Data;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// How a CSV file with a header is read as tabular data (column roles, missing values) and which rows fit the
/// featurization: the training split only, the same rows <see cref="Dataset.Split"/> keeps for training when a
/// validation fraction is held out.
/// </summary>
public sealed record TabularSettings
{
    /// <summary>--weight-column.</summary>
    public string? WeightColumn { get; init; }
    /// <summary>--id-column.</summary>
    public string? IdColumn { get; init; }
    /// <summary>--ignore-columns.</summary>
    public IReadOnlyList<string> IgnoreColumns { get; init; } = [];
    /// <summary>--nan-missing: NaN is a missing value.</summary>
    public bool NanIsMissing { get; init; }
    /// <summary>--missing-indicator: a 0/1 feature per column with missing training values.</summary>
    public bool MissingIndicators { get; init; }
    /// <summary>The validation fraction held out of training (the featurization is fitted on the rest).</summary>
    public double HoldoutFraction { get; init; }
    /// <summary>The seed of that split.</summary>
    public int Seed { get; init; }

    /// <summary>Whether any role flag was given (they need a header).</summary>
    public bool AnyRole => WeightColumn is not null || IdColumn is not null || IgnoreColumns.Count > 0;

    /// <summary>The reader options for a file whose features follow <paramref name="schema"/> (null: decided by the file).</summary>
    public TabularCsvOptions ReaderOptions(string? labelColumn, InputSchema? schema = null, bool requireLabel = true) => new()
    {
        LabelColumn = labelColumn,
        WeightColumn = WeightColumn,
        IdColumn = IdColumn,
        IgnoreColumns = IgnoreColumns,
        NanIsMissing = NanIsMissing || schema is { NanIsMissing: true },
        Schema = schema,
        RequireLabel = requireLabel,
    };
}

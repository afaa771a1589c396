namespace Softmax.Data;

/// <summary>How <see cref="CsvReader"/> reads a delimited file. Every property left null is detected.</summary>
public sealed record CsvOptions
{
    /// <summary>Field delimiter; null detects among ',', ';', tab and '|'.</summary>
    public char? Delimiter { get; init; }

    /// <summary>Whether the first row is a header; null detects it (a non-numeric value in a feature column).</summary>
    public bool? HasHeader { get; init; }

    /// <summary>Label column by header name; needs a header.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Label column by 0-based index; negative counts from the end (−1, the default, is the last).</summary>
    public int? LabelIndex { get; init; }
}

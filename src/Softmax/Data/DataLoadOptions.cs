namespace Softmax.Data;

/// <summary>Format-specific settings for <see cref="DataLoader.Load"/>; the defaults suit the common files.</summary>
public sealed record DataLoadOptions
{
    /// <summary>A separate labels file (IDX labels, .npy label vector); found by naming convention when null.</summary>
    public string? LabelsPath { get; init; }

    /// <summary>CSV settings.</summary>
    public CsvOptions Csv { get; init; } = new();

    /// <summary>LIBSVM column count (else the largest index).</summary>
    public int? FeatureCount { get; init; }

    /// <summary>Which CIFAR-100 label to use.</summary>
    public CifarLabel CifarLabel { get; init; } = CifarLabel.Fine;

    /// <summary>Which split to read when the path is a directory.</summary>
    public DataSplit Split { get; init; } = DataSplit.Train;
}

namespace Softmax.Data;

/// <summary>
/// Features, integer class labels 0..C−1, optional sample weights and the original class names.
/// The one data type that engines, metrics and tools share. Immutable: the operations return new datasets.
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a dataset after checking labels and weights against the features.</summary>
    public Dataset(FeatureMatrix features, int[] labels, IReadOnlyList<string> classNames,
        float[]? sampleWeights = null, ImageShape? image = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (labels.Length != features.Rows)
            throw new ArgumentException($"{labels.Length} labels for {features.Rows} rows.", nameof(labels));
        if (classNames.Count < 1) throw new ArgumentException("At least one class is needed.", nameof(classNames));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"Label {labels[i]} at row {i} is outside 0..{classNames.Count - 1}.", nameof(labels));
        if (sampleWeights is not null)
        {
            if (sampleWeights.Length != features.Rows) throw new ArgumentException("One sample weight per row is needed.", nameof(sampleWeights));
            foreach (var w in sampleWeights)
                if (!(w >= 0) || !float.IsFinite(w)) throw new ArgumentException("Sample weights must be finite and non-negative.", nameof(sampleWeights));
        }
        if (image is not null && image.Length != features.Columns)
            throw new ArgumentException($"Image shape {image} has {image.Length} values but rows have {features.Columns}.", nameof(image));
        (Features, Labels, ClassNames, SampleWeights, Image, Name) = (features, labels, classNames, sampleWeights, image, name);
    }

    /// <summary>The feature rows.</summary>
    public FeatureMatrix Features { get; }

    /// <summary>Class index of each row, in 0..<see cref="ClassCount"/>−1.</summary>
    public int[] Labels { get; }

    /// <summary>The original label of each class index (for example "0".."9", or "cat").</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Per-row weights, or null for all ones.</summary>
    public float[]? SampleWeights { get; }

    /// <summary>Image layout of a row, when the data are pictures.</summary>
    public ImageShape? Image { get; }

    /// <summary>A name for reports, such as "digits" or a file name.</summary>
    public string? Name { get; }

    /// <summary>The named input columns and fitted featurization the features came from, or null (see <see cref="InputSchema.Default"/>).</summary>
    public InputSchema? Schema
    {
        get => _schema;
        init
        {
            if (value is not null && value.FeatureCount != Features.Columns)
                throw new ArgumentException($"The schema gives {value.FeatureCount} features but rows have {Features.Columns}.", nameof(value));
            _schema = value;
        }
    }

    private readonly InputSchema? _schema;

    /// <summary>Number of rows.</summary>
    public int Rows => Features.Rows;

    /// <summary>Number of features per row.</summary>
    public int FeatureCount => Features.Columns;

    /// <summary>Number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>Same rows with other features (same row count), for example after preprocessing.</summary>
    public Dataset WithFeatures(FeatureMatrix features) => new(features, Labels, ClassNames, SampleWeights, Image, Name) { Schema = features.Columns == Features.Columns ? Schema : null };

    /// <summary>Rows <paramref name="start"/> .. <paramref name="start"/>+<paramref name="count"/>−1.</summary>
    public Dataset Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start + count > Rows) throw new ArgumentOutOfRangeException(nameof(count), $"Slice {start}+{count} exceeds {Rows} rows.");
        return Take(Enumerable.Range(start, count).ToArray());
    }

    /// <summary>The given rows, in order (copies).</summary>
    public Dataset Take(ReadOnlySpan<int> rows)
    {
        var order = rows.ToArray();
        var labels = Array.ConvertAll(order, i => Labels[i]);
        float[]? weights = SampleWeights is { } w ? Array.ConvertAll(order, i => w[i]) : null;
        return new Dataset(Features.Take(rows), labels, ClassNames, weights, Image, Name) { Schema = Schema };
    }

    /// <summary>All rows in an order drawn from <paramref name="seed"/>.</summary>
    public Dataset Shuffle(int seed)
    {
        var order = Enumerable.Range(0, Rows).ToArray();
        new Random(seed).Shuffle(order);
        return Take(order);
    }

    /// <summary>
    /// Stratified split: about <paramref name="fraction"/> of each class goes to the second part, chosen with
    /// <paramref name="seed"/>. Both parts keep the original row order.
    /// </summary>
    public (Dataset Train, Dataset Holdout) Split(double fraction, int seed)
    {
        var (train, test) = StratifiedSplit(Labels, ClassCount, fraction, seed);
        return (Take(train), Take(test));
    }

    /// <summary>
    /// The row indices of <see cref="Split"/> for these labels: about <paramref name="fraction"/> of each class in the
    /// second part, chosen with <paramref name="seed"/>, both in the original order. Lets a caller split rows that
    /// are not a dataset yet (raw tabular columns) exactly as <see cref="Split"/> will.
    /// </summary>
    public static (int[] Train, int[] Holdout) StratifiedSplit(IReadOnlyList<int> labels, int classCount, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), "The fraction must lie strictly between 0 and 1.");
        int rows = labels.Count;
        var rng = new Random(seed);
        var holdout = new bool[rows];
        for (int c = 0; c < classCount; c++)
        {
            var members = Enumerable.Range(0, rows).Where(i => labels[i] == c).ToArray();
            rng.Shuffle(members);
            int take = (int)Math.Round(members.Length * fraction);
            if (take == members.Length && members.Length > 1) take--;
            for (int k = 0; k < take; k++) holdout[members[k]] = true;
        }
        var train = Enumerable.Range(0, rows).Where(i => !holdout[i]).ToArray();
        var test = Enumerable.Range(0, rows).Where(i => holdout[i]).ToArray();
        if (train.Length == 0 || test.Length == 0) throw new InvalidOperationException($"A split of {rows} rows with fraction {fraction} leaves one part empty.");
        return (train, test);
    }

    /// <summary>Number of rows of each class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (var y in Labels) counts[y]++;
        return counts;
    }
}

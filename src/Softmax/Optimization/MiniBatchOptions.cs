namespace Softmax.Optimization;

/// <summary>How mini-batches are drawn.</summary>
public enum BatchSampling
{
    /// <summary>A fresh permutation each epoch; every row once per epoch.</summary>
    Shuffle,
    /// <summary>Rows drawn with replacement, as the course code does.</summary>
    WithReplacement,
}

/// <summary>Settings shared by the mini-batch solvers.</summary>
public sealed record MiniBatchOptions
{
    /// <summary>Base learning rate η.</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Rows per step.</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Passes over the data.</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Learning-rate schedule over epochs.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;
    /// <summary>Batch drawing.</summary>
    public BatchSampling Sampling { get; init; } = BatchSampling.Shuffle;
    /// <summary>Seed of the batch order.</summary>
    public int Seed { get; init; }

    /// <summary>Checks the settings once.</summary>
    public MiniBatchOptions Validate()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), "The learning rate must be positive and finite.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), "The batch size must be at least 1.");
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), "Epochs must be ≥ 0.");
        ArgumentNullException.ThrowIfNull(Schedule);
        return this;
    }
}

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

    /// <summary>
    /// The seed of epoch <paramref name="epoch"/>'s batch order, from <see cref="Seed"/> and the epoch alone: a resumed
    /// run draws the same batches, and every solver that should visit the same batches (in memory, streamed,
    /// distributed, on the GPU) derives its order from this one formula.
    /// </summary>
    public int EpochSeed(int epoch) => unchecked(Seed * 1_000_003 + epoch * 7_919 + 17);

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

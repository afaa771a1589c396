namespace Softmax.Optimization;

/// <summary>Learning rate as a function of the epoch (0-based) and the base rate.</summary>
public abstract record LearningRateSchedule
{
    /// <summary>The rate for <paramref name="epoch"/> of <paramref name="totalEpochs"/>.</summary>
    public abstract double Rate(double baseRate, int epoch, int totalEpochs);

    /// <summary>The same rate throughout.</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>Parses "constant", "step:EVERY:GAMMA", "inverse:DECAY" (η/(1+decay·epoch)) or "cosine[:MIN_FRACTION]".</summary>
    public static LearningRateSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        double Arg(int i, double fallback) => parts.Length > i ? double.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
        try
        {
            return parts[0].ToLowerInvariant() switch
            {
                "constant" => Constant,
                "step" => new StepSchedule((int)Arg(1, 10), Arg(2, 0.1)),
                "inverse" or "1/t" => new InverseTimeSchedule(Arg(1, 1.0)),
                "cosine" => new CosineSchedule(Arg(1, 0.0)),
                _ => throw new FormatException(),
            };
        }
        catch (FormatException)
        {
            throw new ArgumentException($"Unknown schedule '{text}': expected constant, step:EVERY:GAMMA, inverse:DECAY or cosine[:MIN_FRACTION].", nameof(text));
        }
    }

    private sealed record ConstantSchedule : LearningRateSchedule
    {
        public override double Rate(double baseRate, int epoch, int totalEpochs) => baseRate;
        public override string ToString() => "constant";
    }
}

/// <summary>η·γ^⌊epoch/every⌋.</summary>
public sealed record StepSchedule(int Every, double Gamma) : LearningRateSchedule
{
    /// <inheritdoc />
    public override double Rate(double baseRate, int epoch, int totalEpochs) => baseRate * Math.Pow(Gamma, epoch / Math.Max(1, Every));
    /// <inheritdoc />
    public override string ToString() => $"step:{Every}:{Gamma}";
}

/// <summary>η/(1 + decay·epoch).</summary>
public sealed record InverseTimeSchedule(double Decay) : LearningRateSchedule
{
    /// <inheritdoc />
    public override double Rate(double baseRate, int epoch, int totalEpochs) => baseRate / (1 + Decay * epoch);
    /// <inheritdoc />
    public override string ToString() => $"inverse:{Decay}";
}

/// <summary>Cosine decay from η to η·MinFraction over the planned epochs.</summary>
public sealed record CosineSchedule(double MinFraction) : LearningRateSchedule
{
    /// <inheritdoc />
    public override double Rate(double baseRate, int epoch, int totalEpochs)
    {
        double t = totalEpochs <= 1 ? 0 : Math.Min(1.0, epoch / (double)(totalEpochs - 1));
        return baseRate * (MinFraction + (1 - MinFraction) * 0.5 * (1 + Math.Cos(Math.PI * t)));
    }
    /// <inheritdoc />
    public override string ToString() => $"cosine:{MinFraction}";
}

using Softmax.Data;
using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Model;

/// <summary>Which solver <see cref="SoftmaxTrainer"/> uses.</summary>
public enum SolverKind
{
    /// <summary>Full-batch L-BFGS (OWL-QN when λ1 &gt; 0).</summary>
    Lbfgs,
    /// <summary>Mini-batch SGD, with optional momentum.</summary>
    Sgd,
    /// <summary>Adam.</summary>
    Adam,
}

/// <summary>Everything that decides a training run. Immutable; checked once by <see cref="Validate"/>.</summary>
public sealed record TrainingOptions
{
    /// <summary>The solver.</summary>
    public SolverKind Solver { get; init; } = SolverKind.Lbfgs;
    /// <summary>λ2 on ‖W‖² (the bias is never penalised).</summary>
    public double L2 { get; init; } = 1e-4;
    /// <summary>λ1 on ‖W‖₁.</summary>
    public double L1 { get; init; }
    /// <summary>Per-class weights, or null. See <see cref="BalancedClassWeights"/>.</summary>
    public IReadOnlyList<double>? ClassWeights { get; init; }
    /// <summary>Use scikit-learn's "balanced" class weights (computed on the training split).</summary>
    public bool BalancedClassWeights { get; init; }
    /// <summary>Preprocessing; null picks Scale by the data's declared range (1/255 for uint8 images, 1/16 for digits) and None for data without one.</summary>
    public PreprocessKind? Preprocess { get; init; }
    /// <summary>Scale factor for <see cref="PreprocessKind.Scale"/> and beyond; null means 1 / the declared range (<see cref="ImageShape.MaxValue"/>; 255 for uint8 data), else 1/255 for Scale.</summary>
    public float? PreprocessScale { get; init; }
    /// <summary>Fraction of the training rows held out (stratified) for validation; 0 for none.</summary>
    public double ValidationFraction { get; init; }
    /// <summary>
    /// Early-stopping patience: validations (epochs; every 5 iterations for L-BFGS) without the validation loss
    /// falling by more than <see cref="MinDelta"/>; 0 disables it. The weights with the lowest validation loss are kept.
    /// </summary>
    public int Patience { get; init; }
    /// <summary>The least fall of the validation loss (nats) that counts as an improvement for <see cref="Patience"/>.</summary>
    public double MinDelta { get; init; }
    /// <summary>Seed for splits and batch order.</summary>
    public int Seed { get; init; }
    /// <summary>Arithmetic of the data term: auto (default), float32 or float64. See <see cref="Engine.Precision"/>.</summary>
    public Precision Precision { get; init; } = Precision.Auto;
    /// <summary>CPU engine settings (threads, kernel variant).</summary>
    public CpuEngineOptions Engine { get; init; } = new();
    /// <summary>L-BFGS settings.</summary>
    public LbfgsOptions Lbfgs { get; init; } = new();
    /// <summary>Mini-batch settings (SGD and Adam).</summary>
    public MiniBatchOptions MiniBatch { get; init; } = new();
    /// <summary>SGD momentum μ.</summary>
    public double Momentum { get; init; }
    /// <summary>Nesterov momentum for SGD.</summary>
    public bool Nesterov { get; init; }
    /// <summary>Start from this model's weights (same classes and features).</summary>
    public SoftmaxModel? WarmStart { get; init; }
    /// <summary>
    /// Builds the data term for a preprocessed dataset; null uses <see cref="CpuSoftmaxLoss"/>. The GPU engine
    /// plugs in here.
    /// </summary>
    public Func<Dataset, IReadOnlyList<double>?, ISoftmaxLoss>? LossFactory { get; init; }

    /// <summary>Checks the settings once, before any work.</summary>
    public TrainingOptions Validate()
    {
        if (!(L2 >= 0) || !double.IsFinite(L2)) throw new ArgumentOutOfRangeException(nameof(L2), "--l2 must be finite and ≥ 0.");
        if (!(L1 >= 0) || !double.IsFinite(L1)) throw new ArgumentOutOfRangeException(nameof(L1), "--l1 must be finite and ≥ 0.");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), "The validation fraction must lie in [0, 1).");
        if (Patience < 0) throw new ArgumentOutOfRangeException(nameof(Patience));
        if (!(MinDelta >= 0) || !double.IsFinite(MinDelta)) throw new ArgumentOutOfRangeException(nameof(MinDelta), "--min-delta must be finite and ≥ 0.");
        if (!(Momentum is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Momentum), "Momentum must lie in [0, 1).");
        if (ClassWeights is not null && BalancedClassWeights) throw new ArgumentException("Give class weights or balanced, not both.");
        Engine.Validate();
        Lbfgs.Validate();
        MiniBatch.Validate();
        return this;
    }
}

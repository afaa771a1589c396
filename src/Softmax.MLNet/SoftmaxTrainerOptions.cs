using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.MLNet;

/// <summary>
/// Options of <see cref="SoftmaxMulticlassTrainer"/>: the ML.NET column names and the library's
/// <see cref="TrainingOptions"/>. The objective is the library's, F = (1/S) Σ s_j·CE_j + (λ2/2)‖W‖² + λ1‖W‖₁ with
/// the mean over rows; ML.NET's LbfgsMaximumEntropy minimises the sum, so its <c>L2Regularization</c> equals
/// λ2·N for N training rows (and its <c>L1Regularization</c> λ1·N).
/// </summary>
public sealed class SoftmaxTrainerOptions
{
    /// <summary>The known-size vector of float features. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The key-typed label (use <c>MapValueToKey</c>). Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>An optional float column of per-row weights.</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>Solver, λ2, λ1, preprocessing and engine settings; checked once when training starts.</summary>
    public TrainingOptions Training { get; set; } = new();

    /// <summary>Where training progress goes (the library never prints); null for none.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Stops training early; the weights reached so far are kept.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>A copy, so that later changes to these options do not reach a trainer made with them.</summary>
    internal SoftmaxTrainerOptions Copy() => (SoftmaxTrainerOptions)MemberwiseClone();
}

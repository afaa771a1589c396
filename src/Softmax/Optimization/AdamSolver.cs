namespace Softmax.Optimization;

/// <summary>
/// Adam (Kingma and Ba) over rows in memory: m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
/// θ ← θ − η · m̂ / (√v̂ + ε) with bias-corrected m̂, v̂. The step is <see cref="AdamRule"/>.
/// </summary>
public sealed class AdamSolver(MiniBatchOptions options, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    : MiniBatchSolver(new AdamRule(beta1, beta2, epsilon), options)
{
    /// <summary>β1.</summary>
    public double Beta1 => ((AdamRule)Rule).Beta1;
    /// <summary>β2.</summary>
    public double Beta2 => ((AdamRule)Rule).Beta2;
    /// <summary>ε.</summary>
    public double Epsilon => ((AdamRule)Rule).Epsilon;
}

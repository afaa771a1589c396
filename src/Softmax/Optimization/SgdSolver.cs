namespace Softmax.Optimization;

/// <summary>
/// Mini-batch SGD with optional (heavy-ball or Nesterov) momentum over rows in memory:
/// v ← μ v − η g;  θ ← θ + v  (Nesterov: θ ← θ + μ v − η g). The step is <see cref="SgdRule"/>.
/// </summary>
public sealed class SgdSolver(MiniBatchOptions options, double momentum = 0, bool nesterov = false)
    : MiniBatchSolver(new SgdRule(momentum, nesterov), options)
{
    /// <summary>Momentum μ in [0, 1).</summary>
    public double Momentum => ((SgdRule)Rule).Momentum;

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov => ((SgdRule)Rule).Nesterov;
}

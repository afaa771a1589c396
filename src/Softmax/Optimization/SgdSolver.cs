namespace Softmax.Optimization;

/// <summary>
/// Mini-batch SGD with optional (heavy-ball or Nesterov) momentum:
/// v ← μ v − η g;  θ ← θ + v  (Nesterov: θ ← θ + μ v − η g). The step is <see cref="SgdRule"/>.
/// </summary>
public sealed class SgdSolver(MiniBatchOptions options, double momentum = 0, bool nesterov = false) : MiniBatchSolver(options)
{
    private readonly SgdRule _rule = new(momentum, nesterov);

    /// <summary>Momentum μ in [0, 1).</summary>
    public double Momentum => _rule.Momentum;

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov => _rule.Nesterov;

    /// <inheritdoc />
    public override string Name => _rule.Name;

    /// <inheritdoc />
    protected override double[][] StateBuffers => [.. _rule.State];

    /// <inheritdoc />
    protected override void Reset(int dimension) => _rule.Reset(dimension);

    /// <inheritdoc />
    protected override void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step) => _rule.Step(theta, gradient, rate, step);
}

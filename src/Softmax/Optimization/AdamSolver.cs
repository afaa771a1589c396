namespace Softmax.Optimization;

/// <summary>
/// Adam (Kingma and Ba): m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
/// θ ← θ − η · m̂ / (√v̂ + ε) with bias-corrected m̂, v̂. The step is <see cref="AdamRule"/>.
/// </summary>
public sealed class AdamSolver(MiniBatchOptions options, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : MiniBatchSolver(options)
{
    private readonly AdamRule _rule = new(beta1, beta2, epsilon);

    /// <summary>β1.</summary>
    public double Beta1 => _rule.Beta1;
    /// <summary>β2.</summary>
    public double Beta2 => _rule.Beta2;
    /// <summary>ε.</summary>
    public double Epsilon => _rule.Epsilon;

    /// <inheritdoc />
    public override string Name => _rule.Name;

    /// <inheritdoc />
    protected override double[][] StateBuffers => [.. _rule.State];

    /// <inheritdoc />
    protected override void Reset(int dimension) => _rule.Reset(dimension);

    /// <inheritdoc />
    protected override void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step) => _rule.Step(theta, gradient, rate, step);
}

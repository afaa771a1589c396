namespace Softmax.Optimization;

/// <summary>
/// Adam (Kingma and Ba): m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
/// θ ← θ − η · m̂ / (√v̂ + ε) with bias-corrected m̂, v̂.
/// </summary>
public sealed class AdamSolver(MiniBatchOptions options, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : MiniBatchSolver(options)
{
    private double[] _m = [], _v = [];

    /// <summary>β1.</summary>
    public double Beta1 { get; } = beta1 is >= 0 and < 1 ? beta1 : throw new ArgumentOutOfRangeException(nameof(beta1));
    /// <summary>β2.</summary>
    public double Beta2 { get; } = beta2 is >= 0 and < 1 ? beta2 : throw new ArgumentOutOfRangeException(nameof(beta2));
    /// <summary>ε.</summary>
    public double Epsilon { get; } = epsilon > 0 ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon));

    /// <inheritdoc />
    public override string Name => "adam";

    /// <inheritdoc />
    protected override double[][] StateBuffers => [_m, _v];

    /// <inheritdoc />
    protected override void Reset(int dimension)
    {
        _m = new double[dimension];
        _v = new double[dimension];
    }

    /// <inheritdoc />
    protected override void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step)
    {
        double c1 = 1 - Math.Pow(Beta1, step), c2 = 1 - Math.Pow(Beta2, step);
        double a = rate * Math.Sqrt(c2) / c1;
        for (int i = 0; i < theta.Length; i++)
        {
            double g = gradient[i];
            _m[i] = Beta1 * _m[i] + (1 - Beta1) * g;
            _v[i] = Beta2 * _v[i] + (1 - Beta2) * g * g;
            theta[i] -= a * _m[i] / (Math.Sqrt(_v[i]) + Epsilon * Math.Sqrt(c2));
        }
    }
}

namespace Softmax.Streaming;

/// <summary>One mini-batch update θ ← θ − step(g); the same formulas as the library's SgdSolver and AdamSolver.</summary>
public interface IUpdateRule
{
    /// <summary>Short name for reports.</summary>
    string Name { get; }

    /// <summary>Prepares per-run state for a parameter vector of length <paramref name="dimension"/>.</summary>
    void Reset(int dimension);

    /// <summary>Updates θ in place from the batch gradient at step <paramref name="step"/> (1-based) with rate η.</summary>
    void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step);
}

/// <summary>SGD with optional heavy-ball or Nesterov momentum: v ← μ v − η g; θ ← θ + v (Nesterov: θ ← θ + μ v − η g).</summary>
public sealed class SgdRule(double momentum = 0, bool nesterov = false) : IUpdateRule
{
    private double[] _velocity = [];

    /// <summary>μ in [0, 1).</summary>
    public double Momentum { get; } = momentum is >= 0 and < 1 ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), "Momentum must lie in [0, 1).");

    /// <inheritdoc />
    public string Name => Momentum > 0 ? (nesterov ? "sgd-nesterov" : "sgd-momentum") : "sgd";

    /// <inheritdoc />
    public void Reset(int dimension) => _velocity = new double[dimension];

    /// <inheritdoc />
    public void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step)
    {
        double mu = Momentum;
        for (int i = 0; i < theta.Length; i++)
        {
            if (mu == 0) { theta[i] -= rate * gradient[i]; continue; }
            _velocity[i] = mu * _velocity[i] - rate * gradient[i];
            theta[i] += nesterov ? mu * _velocity[i] - rate * gradient[i] : _velocity[i];
        }
    }
}

/// <summary>Adam: m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; θ ← θ − η m̂ / (√v̂ + ε).</summary>
public sealed class AdamRule(double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : IUpdateRule
{
    private double[] _m = [], _v = [];

    /// <inheritdoc />
    public string Name => "adam";

    /// <inheritdoc />
    public void Reset(int dimension) => (_m, _v) = (new double[dimension], new double[dimension]);

    /// <inheritdoc />
    public void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step)
    {
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        double a = rate * Math.Sqrt(c2) / c1;
        for (int i = 0; i < theta.Length; i++)
        {
            double g = gradient[i];
            _m[i] = beta1 * _m[i] + (1 - beta1) * g;
            _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
            theta[i] -= a * _m[i] / (Math.Sqrt(_v[i]) + epsilon * Math.Sqrt(c2));
        }
    }
}

using System.Numerics.Tensors;

namespace Softmax.Optimization;

/// <summary>
/// One mini-batch update θ ← θ − step(g) and the state it carries. The in-memory, streamed and distributed
/// mini-batch solvers all step through these, so the formulas exist once.
/// </summary>
public interface IUpdateRule
{
    /// <summary>Short name for reports ("sgd", "sgd-momentum", "sgd-nesterov", "adam").</summary>
    string Name { get; }

    /// <summary>The rule's vectors (velocity, moments), for checkpoints and for model averaging across workers.</summary>
    IReadOnlyList<double[]> State { get; }

    /// <summary>The name of each vector of <see cref="State"/>, in its order: a checkpoint stores the vectors under these names.</summary>
    IReadOnlyList<string> StateNames { get; }

    /// <summary>Prepares zeroed state for a parameter vector of length <paramref name="dimension"/>.</summary>
    void Reset(int dimension);

    /// <summary>Updates θ in place from the batch gradient at step <paramref name="step"/> (1-based) with rate η.</summary>
    void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step);
}

/// <summary>
/// SGD with optional heavy-ball or Nesterov momentum: v ← μ v − η g;  θ ← θ + v  (Nesterov: θ ← θ + μ v − η g).
/// </summary>
public sealed class SgdRule(double momentum = 0, bool nesterov = false) : IUpdateRule
{
    private double[] _velocity = [];

    /// <summary>Momentum μ in [0, 1).</summary>
    public double Momentum { get; } = momentum is >= 0 and < 1 ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), "Momentum must lie in [0, 1).");

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; } = nesterov;

    /// <inheritdoc />
    public string Name => Momentum > 0 ? (Nesterov ? "sgd-nesterov" : "sgd-momentum") : "sgd";

    /// <inheritdoc />
    public IReadOnlyList<double[]> State => [_velocity];

    /// <inheritdoc />
    public IReadOnlyList<string> StateNames => ["velocity"];

    /// <inheritdoc />
    public void Reset(int dimension) => _velocity = new double[dimension];

    /// <inheritdoc />
    public void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step)
    {
        if (Momentum == 0)
        {
            TensorPrimitives.MultiplyAdd(gradient, -rate, theta, theta);
            return;
        }
        var v = _velocity.AsSpan();
        TensorPrimitives.Multiply(v, Momentum, v);
        TensorPrimitives.MultiplyAdd(gradient, -rate, v, v);          // v ← μ v − η g
        if (!Nesterov) TensorPrimitives.Add(theta, v, theta);          // θ ← θ + v
        else
        {
            TensorPrimitives.MultiplyAdd(v, Momentum, theta, theta);   // θ ← θ + μ v − η g
            TensorPrimitives.MultiplyAdd(gradient, -rate, theta, theta);
        }
    }
}

/// <summary>
/// Adam (Kingma and Ba): m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  θ ← θ − η · m̂ / (√v̂ + ε) with bias-corrected
/// m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ).
/// </summary>
public sealed class AdamRule(double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : IUpdateRule
{
    private double[] _m = [], _v = [];

    /// <summary>β1.</summary>
    public double Beta1 { get; } = beta1 is >= 0 and < 1 ? beta1 : throw new ArgumentOutOfRangeException(nameof(beta1));

    /// <summary>β2.</summary>
    public double Beta2 { get; } = beta2 is >= 0 and < 1 ? beta2 : throw new ArgumentOutOfRangeException(nameof(beta2));

    /// <summary>ε.</summary>
    public double Epsilon { get; } = epsilon > 0 ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon));

    /// <inheritdoc />
    public string Name => "adam";

    /// <inheritdoc />
    public IReadOnlyList<double[]> State => [_m, _v];

    /// <inheritdoc />
    public IReadOnlyList<string> StateNames => ["first_moment", "second_moment"];

    /// <inheritdoc />
    public void Reset(int dimension) => (_m, _v) = (new double[dimension], new double[dimension]);

    /// <inheritdoc />
    public void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step)
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

using System.Numerics.Tensors;

namespace Softmax.Optimization;

/// <summary>
/// Mini-batch SGD with optional (heavy-ball or Nesterov) momentum:
/// v ← μ v − η g;  θ ← θ + v  (Nesterov: θ ← θ + μ v − η g).
/// </summary>
public sealed class SgdSolver(MiniBatchOptions options, double momentum = 0, bool nesterov = false) : MiniBatchSolver(options)
{
    private double[] _velocity = [];

    /// <summary>Momentum μ in [0, 1).</summary>
    public double Momentum { get; } = momentum is >= 0 and < 1 ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), "Momentum must lie in [0, 1).");

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; } = nesterov;

    /// <inheritdoc />
    public override string Name => Momentum > 0 ? (Nesterov ? "sgd-nesterov" : "sgd-momentum") : "sgd";

    /// <inheritdoc />
    protected override double[][] StateBuffers => [_velocity];

    /// <inheritdoc />
    protected override void Reset(int dimension) => _velocity = new double[dimension];

    /// <inheritdoc />
    protected override void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step)
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

namespace Softmax.Distributed;

/// <summary>
/// A mini-batch update whose buffers (velocity, moments) are visible, so local SGD can average them with θ.
/// The formulas are those of the library's SgdSolver/AdamSolver and Softmax.Streaming's rules.
/// </summary>
public interface IDistributedRule
{
    /// <summary>Short name for reports.</summary>
    string Name { get; }

    /// <summary>The rule's buffers, each of θ's length (empty for plain SGD). Valid after <see cref="Reset"/>.</summary>
    IReadOnlyList<double[]> State { get; }

    /// <summary>Prepares per-run state for a parameter vector of length <paramref name="dimension"/>.</summary>
    void Reset(int dimension);

    /// <summary>Updates θ in place from the batch gradient at step <paramref name="step"/> (1-based) with rate η.</summary>
    void Step(Span<double> theta, ReadOnlySpan<double> gradient, double rate, long step);
}

/// <summary>SGD with optional heavy-ball or Nesterov momentum: v ← μ v − η g; θ ← θ + v (Nesterov: θ ← θ + μ v − η g).</summary>
public sealed class DistributedSgdRule(double momentum = 0, bool nesterov = false) : IDistributedRule
{
    private double[] _velocity = [];

    /// <summary>μ in [0, 1).</summary>
    public double Momentum { get; } = momentum is >= 0 and < 1 ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), "Momentum must lie in [0, 1).");

    /// <inheritdoc />
    public string Name => Momentum > 0 ? (nesterov ? "sgd-nesterov" : "sgd-momentum") : "sgd";

    /// <inheritdoc />
    public IReadOnlyList<double[]> State => Momentum > 0 ? [_velocity] : [];

    /// <inheritdoc />
    public void Reset(int dimension) => _velocity = Momentum > 0 ? new double[dimension] : [];

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
public sealed class DistributedAdamRule(double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : IDistributedRule
{
    private double[] _m = [], _v = [];

    /// <inheritdoc />
    public string Name => "adam";

    /// <inheritdoc />
    public IReadOnlyList<double[]> State => [_m, _v];

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

/// <summary>
/// The data term over one process's rows held as consecutive slices, each its own engine, with the slices' sums added
/// in slice order: exactly what an allreduce over that many ranks adds (for 2 ranks, a + b). A 1-rank run over this
/// loss with the slices of a K-rank run is the bit-for-bit single-process reference of synchronous distributed SGD.
/// </summary>
public sealed class SlicedLoss : Softmax.Engine.ISoftmaxLoss
{
    private readonly Softmax.Engine.ISoftmaxLoss[] _slices;
    private readonly int[] _starts;
    private readonly int[] _rows;
    private double[] _gradient = [];

    /// <summary>Combines <paramref name="slices"/>: slice k holds the rows after those of slices 0..k−1.</summary>
    public SlicedLoss(IReadOnlyList<Softmax.Engine.ISoftmaxLoss> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        if (slices.Count == 0) throw new ArgumentException("No slices.", nameof(slices));
        _slices = [.. slices];
        _starts = new int[_slices.Length + 1];
        for (int k = 0; k < _slices.Length; k++)
        {
            if (_slices[k].Classes != _slices[0].Classes || _slices[k].Features != _slices[0].Features)
                throw new ArgumentException("The slices differ in shape.", nameof(slices));
            _starts[k + 1] = _starts[k] + _slices[k].Rows;
        }
        _rows = new int[Math.Max(1, _starts[^1])];
    }

    /// <inheritdoc />
    public int Classes => _slices[0].Classes;

    /// <inheritdoc />
    public int Features => _slices[0].Features;

    /// <inheritdoc />
    public int Rows => _starts[^1];

    /// <inheritdoc />
    public Softmax.Engine.LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, Softmax.Engine.RowSet rows)
    {
        if (_gradient.Length != gradientSums.Length) _gradient = new double[gradientSums.Length];
        var total = default(Softmax.Engine.LossSums);
        gradientSums.Clear();
        for (int k = 0; k < _slices.Length; k++)
        {
            var part = Take(rows, k);
            Array.Clear(_gradient);
            var sums = _slices[k].Accumulate(theta, _gradient, part);
            total += sums;
            for (int i = 0; i < gradientSums.Length; i++) gradientSums[i] += _gradient[i];
        }
        return total;
    }

    /// <inheritdoc />
    public Softmax.Engine.LossSums Value(ReadOnlySpan<double> theta, Softmax.Engine.RowSet rows)
    {
        var total = default(Softmax.Engine.LossSums);
        for (int k = 0; k < _slices.Length; k++) total += _slices[k].Value(theta, Take(rows, k));
        return total;
    }

    /// <summary>The rows of <paramref name="rows"/> in slice <paramref name="k"/>, in order, as that slice's indices.</summary>
    private Softmax.Engine.RowSet Take(Softmax.Engine.RowSet rows, int k)
    {
        int lo = _starts[k], hi = _starts[k + 1], m = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            int j = rows[i];
            if (j >= lo && j < hi) _rows[m++] = j - lo;
        }
        return m == 0 ? Softmax.Engine.RowSet.Range(0, 0) : Softmax.Engine.RowSet.Of(_rows, 0, m);
    }
}

using Softmax.Data;

namespace Softmax.Engine;

/// <summary>
/// The teaching version: plain float64 loops that follow docs/derivation.md term by term.
/// Slow on purpose; it is the oracle the fast engines are tested against.
/// </summary>
public sealed class ReferenceSoftmaxLoss : ISoftmaxLoss
{
    private readonly Dataset _data;
    private readonly double[] _weights;

    /// <summary>Wraps a dataset; <paramref name="classWeights"/> multiply the sample weights per class.</summary>
    public ReferenceSoftmaxLoss(Dataset data, IReadOnlyList<double>? classWeights = null)
    {
        _data = data;
        _weights = SampleWeights.Combine(data, classWeights);
    }

    /// <inheritdoc />
    public int Classes => _data.ClassCount;

    /// <inheritdoc />
    public int Features => _data.FeatureCount;

    /// <inheritdoc />
    public int Rows => _data.Rows;

    /// <inheritdoc />
    public LossSums Value(ReadOnlySpan<double> theta, RowSet rows) => Run(theta, null, rows);

    /// <inheritdoc />
    public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows)
    {
        var grad = new double[gradientSums.Length];
        var sums = Run(theta, grad, rows);
        for (int k = 0; k < grad.Length; k++) gradientSums[k] += grad[k];
        return sums;
    }

    private LossSums Run(ReadOnlySpan<double> theta, double[]? grad, RowSet rows)
    {
        int C = Classes, D = Features;
        if (theta.Length != C * D + C) throw new ArgumentException($"θ must have C·D + C = {C * D + C} entries.", nameof(theta));
        rows.Validate(Rows);
        var x = new double[D];
        var o = new double[C];
        var p = new double[C];
        double loss = 0, weight = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            int j = rows[r];
            _data.Features.CopyRow(j, x);
            // o_i = w_iᵀ x_j + b_i
            for (int i = 0; i < C; i++)
            {
                double s = theta[C * D + i];
                for (int d = 0; d < D; d++) s += theta[i * D + d] * x[d];
                o[i] = s;
            }
            double sj = _weights[j];
            int y = _data.Labels[j];
            loss += sj * StableMath.CrossEntropy(o, y);
            weight += sj;
            if (grad is null) continue;
            StableMath.Softmax(o, p);
            // ∂ℓ_j/∂w_i = (p_i − δ_i(y_j)) x_j ;  ∂ℓ_j/∂b_i = p_i − δ_i(y_j)
            for (int i = 0; i < C; i++)
            {
                double e = sj * (p[i] - (i == y ? 1.0 : 0.0));
                for (int d = 0; d < D; d++) grad[i * D + d] += e * x[d];
                grad[C * D + i] += e;
            }
        }
        return new LossSums(loss, weight);
    }
}

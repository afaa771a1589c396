using Softmax.Engine;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// Forwards to the real data term and remembers the parameter vectors of full-batch evaluations since the last
/// <see cref="Take"/>. L-BFGS reports progress without θ (and checkpoints it in its own preconditioned
/// coordinates), so this is how the CLI learns which θ an iteration accepted, to draw accuracy curves.
/// It changes nothing the solver sees.
/// </summary>
public sealed class RecordingLoss(ISoftmaxLoss inner, double l2, double l1) : ISoftmaxLoss
{
    private readonly List<(double[] Theta, double F)> _seen = [];

    /// <inheritdoc />
    public int Classes => inner.Classes;
    /// <inheritdoc />
    public int Features => inner.Features;
    /// <inheritdoc />
    public int Rows => inner.Rows;

    /// <inheritdoc />
    public Precision Arithmetic => inner.Arithmetic;

    /// <inheritdoc />
    public bool TrySetArithmetic(Precision arithmetic) => inner.TrySetArithmetic(arithmetic);

    /// <inheritdoc />
    public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows)
    {
        var sums = inner.Accumulate(theta, gradientSums, rows);
        Remember(theta, rows, sums);
        return sums;
    }

    /// <inheritdoc />
    public LossSums Value(ReadOnlySpan<double> theta, RowSet rows)
    {
        var sums = inner.Value(theta, rows);
        Remember(theta, rows, sums);
        return sums;
    }

    /// <summary>The evaluated θ whose F is closest to <paramref name="f"/> (the accepted point), and forgets the rest.</summary>
    public double[]? Take(double f)
    {
        double[]? best = null;
        double gap = double.PositiveInfinity;
        foreach (var (theta, value) in _seen)
            if (Math.Abs(value - f) <= gap) { gap = Math.Abs(value - f); best = theta; }
        _seen.Clear();
        return best;
    }

    private void Remember(ReadOnlySpan<double> theta, RowSet rows, LossSums sums)
    {
        if (!rows.IsRange || rows.Start != 0 || rows.Count != inner.Rows || !(sums.Weight > 0)) return;
        int m = Classes * Features;
        double f = sums.Loss / sums.Weight, sq = 0, abs = 0;
        for (int i = 0; i < m; i++) { sq += theta[i] * theta[i]; abs += Math.Abs(theta[i]); }
        f += 0.5 * l2 * sq + l1 * abs;
        if (_seen.Count > 64) _seen.RemoveAt(0);
        _seen.Add((theta.ToArray(), f));
    }
}

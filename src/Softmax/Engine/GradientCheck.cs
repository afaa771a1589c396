namespace Softmax.Engine;

/// <summary>Result of comparing the analytic gradient with central differences.</summary>
/// <param name="MaxRelativeError">max over checked coordinates of |a − n| / max(|a| + |n|, tiny).</param>
/// <param name="MedianRelativeError">The median of the same.</param>
/// <param name="Checked">Coordinates checked.</param>
/// <param name="WorstCoordinate">Index in θ of the largest error.</param>
public sealed record GradientCheckResult(double MaxRelativeError, double MedianRelativeError, int Checked, int WorstCoordinate);

/// <summary>
/// Checks a gradient against central differences in float64, with h = step·max(1, |θ_k|). It uses the
/// fourth-order central stencil [8(F(θ+h) − F(θ−h)) − (F(θ+2h) − F(θ−2h))] / 12h: its truncation error is O(h⁴), so
/// a step of 1e-3 keeps both truncation and rounding near 1e-13, and even coordinates with tiny gradients can be
/// checked to 1e-7 relative (the plain 2-point stencil bottoms out near 1e-11 absolute).
/// A full check for small problems, or a sparse random one (the course's grad_check_sparse).
/// </summary>
public static class GradientCheck
{
    /// <summary>The smallest denominator; below it both gradients count as zero.</summary>
    public const double Tiny = 1e-12;

    /// <summary>
    /// Checks <paramref name="checks"/> random coordinates (or all when null or ≥ the dimension) of
    /// <paramref name="valueAndGradient"/> at <paramref name="theta"/>. <paramref name="value"/> evaluates F alone.
    /// </summary>
    public static GradientCheckResult Run(Func<double[], double[], double> valueAndGradient, Func<double[], double> value,
        double[] theta, int? checks = null, int seed = 0, double step = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(valueAndGradient);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(theta);
        int n = theta.Length;
        var analytic = new double[n];
        valueAndGradient((double[])theta.Clone(), analytic);
        int[] coords;
        if (checks is null || checks >= n) coords = Enumerable.Range(0, n).ToArray();
        else
        {
            var rng = new Random(seed);
            coords = new int[checks.Value];
            for (int i = 0; i < coords.Length; i++) coords[i] = rng.Next(n);
        }
        var errors = new double[coords.Length];
        var point = (double[])theta.Clone();
        double worst = -1; int worstAt = -1;
        for (int i = 0; i < coords.Length; i++)
        {
            int k = coords[i];
            double h = step * Math.Max(1, Math.Abs(theta[k]));
            double At(double offset) { point[k] = theta[k] + offset; return value(point); }
            double numeric = (8 * (At(h) - At(-h)) - (At(2 * h) - At(-2 * h))) / (12 * h);
            point[k] = theta[k];
            errors[i] = RelativeError(analytic[k], numeric);
            if (errors[i] > worst) { worst = errors[i]; worstAt = k; }
        }
        Array.Sort(errors);
        double median = errors.Length == 0 ? 0 : errors[errors.Length / 2];
        return new GradientCheckResult(Math.Max(worst, 0), median, coords.Length, worstAt);
    }

    /// <summary>|a − n| / max(|a| + |n|, tiny).</summary>
    public static double RelativeError(double a, double n) => Math.Abs(a - n) / Math.Max(Math.Abs(a) + Math.Abs(n), Tiny);

    /// <summary>Checks a <see cref="SoftmaxObjective"/> at θ.</summary>
    public static GradientCheckResult Run(SoftmaxObjective objective, double[] theta, int? checks = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(objective);
        return Run((t, g) => objective.ValueAndGradient(t, g), t => objective.Value(t), theta, checks, seed);
    }
}

namespace Softmax.Engine;

/// <summary>Result of comparing the analytic gradient with central differences.</summary>
/// <param name="MaxRelativeError">max over checked coordinates of |a − n| / max(|a| + |n|, tiny).</param>
/// <param name="MedianRelativeError">The median of the same.</param>
/// <param name="Checked">Coordinates checked.</param>
/// <param name="WorstCoordinate">Index in θ of the largest error.</param>
public sealed record GradientCheckResult(double MaxRelativeError, double MedianRelativeError, int Checked, int WorstCoordinate);

/// <summary>
/// Checks a gradient against central differences (F(θ + h e_k) − F(θ − h e_k)) / 2h in float64, with
/// h = step·max(1, |θ_k|). A full check for small problems, or a sparse random one (the course's grad_check_sparse).
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
        double[] theta, int? checks = null, int seed = 0, double step = 1e-5)
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
            point[k] = theta[k] + h;
            double up = value(point);
            point[k] = theta[k] - h;
            double down = value(point);
            point[k] = theta[k];
            double numeric = (up - down) / (2 * h);
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

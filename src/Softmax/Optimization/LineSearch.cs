using System.Numerics.Tensors;

namespace Softmax.Optimization;

/// <summary>
/// Wolfe line search that stays reliable where F can no longer resolve the decrease: along x + t·d it accepts a step
/// that meets the strong Wolfe conditions (Nocedal and Wright, algorithms 3.5–3.6), or the approximate Wolfe
/// conditions of Hager and Zhang (2005) — F not above F(0) by more than its rounding noise and the slope
/// c2·φ'(0) ≤ φ'(t) ≤ (1 − 2δ)·|φ'(0)|. Near the optimum F's decrease falls below its rounding error long before the
/// gradient does; the slope φ'(t) = ∇F(x + t·d)·d is still accurate there, so the bracket is then kept by its sign.
/// On return the trial buffers hold the accepted point and its gradient.
/// </summary>
internal sealed class WolfeLineSearch(int maxSteps, double c1 = 1e-4, double c2 = 0.9, double delta = 0.1)
{
    public delegate double Evaluate(ReadOnlySpan<double> x, Span<double> g);

    /// <summary>
    /// Searches along d from x (value f0, gradient g0); <paramref name="noise"/> is the absolute rounding error of F.
    /// Returns (step, value); step 0 means no acceptable step was found (xt, gt then hold x, g0).
    /// </summary>
    public (double Step, double Value) Search(Evaluate f, double[] x, double f0, double[] g0, double[] d, double initialStep,
        double noise, double[] xt, double[] gt, double[] gLo)
    {
        double dphi0 = TensorPrimitives.Dot<double>(g0, d);
        double tLo = 0, fLo = f0, dLo = dphi0, tHi = double.PositiveInfinity, fHi = double.NaN, dHi = double.NaN;
        g0.CopyTo(gLo, 0);
        double t = initialStep;
        for (int i = 0; i < maxSteps; i++)
        {
            double ft = Trial(f, x, d, t, xt, gt);
            double dt = TensorPrimitives.Dot<double>(gt, d);
            if (double.IsFinite(ft) && Acceptable(f0, dphi0, noise, t, ft, dt)) return (t, ft);
            // Keep a bracket [tLo, tHi] whose low end has F no worse than F(0) (within noise) and a descending slope.
            bool above = !double.IsFinite(ft) || (ft > f0 + c1 * t * dphi0 && ft > f0 + noise) || (ft > fLo + noise);
            if (above || dt >= 0) (tHi, fHi, dHi) = (t, ft, dt);
            else
            {
                (tLo, fLo, dLo) = (t, ft, dt);
                gt.CopyTo(gLo, 0);
            }
            t = double.IsPositiveInfinity(tHi) ? 2.5 * t : Interpolate(tLo, fLo, dLo, tHi, fHi, dHi);
            if (!double.IsPositiveInfinity(tHi) && tHi - tLo <= 1e-14 * Math.Max(1, tHi)) break;
        }
        // The budget ran out: the furthest point with a descending slope and F within noise of F(0) is still progress.
        if (tLo > 0 && fLo <= f0 + noise)
        {
            for (int i = 0; i < x.Length; i++) xt[i] = x[i] + tLo * d[i];
            gLo.CopyTo(gt, 0);
            return (tLo, fLo);
        }
        x.CopyTo(xt, 0);
        g0.CopyTo(gt, 0);
        return (0, f0);
    }

    private bool Acceptable(double f0, double dphi0, double noise, double t, double ft, double dt)
    {
        bool strong = ft <= f0 + c1 * t * dphi0 && Math.Abs(dt) <= -c2 * dphi0;
        bool approximate = ft <= f0 + noise && dt >= c2 * dphi0 && dt <= -(1 - 2 * delta) * dphi0;
        return strong || approximate;
    }

    private static double Trial(Evaluate f, double[] x, double[] d, double t, double[] xt, double[] gt)
    {
        for (int i = 0; i < x.Length; i++) xt[i] = x[i] + t * d[i];
        return f(xt, gt);
    }

    /// <summary>Minimiser of the cubic through (a, fa, da) and (b, fb, db), kept inside the middle 80% of [a, b].</summary>
    private static double Interpolate(double a, double fa, double da, double b, double fb, double db)
    {
        double lo = Math.Min(a, b), hi = Math.Max(a, b), width = hi - lo;
        double t = double.NaN;
        if (double.IsFinite(fb) && double.IsFinite(db))
        {
            double d1 = da + db - 3 * (fa - fb) / (a - b);
            double disc = d1 * d1 - da * db;
            if (disc >= 0)
            {
                double d2 = Math.Sign(b - a) * Math.Sqrt(disc);
                t = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
            }
        }
        if (!double.IsFinite(t) || t < lo + 0.1 * width || t > hi - 0.1 * width) t = lo + 0.5 * width;
        return t;
    }
}

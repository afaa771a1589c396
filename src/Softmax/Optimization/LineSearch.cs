using System.Numerics.Tensors;

namespace Softmax.Optimization;

/// <summary>
/// Strong-Wolfe line search (Nocedal and Wright, algorithms 3.5 and 3.6, with safeguarded cubic interpolation).
/// On return the trial point, its value and gradient hold the accepted step.
/// </summary>
internal sealed class StrongWolfeLineSearch(int maxSteps, double c1 = 1e-4, double c2 = 0.9)
{
    private const int MaxZoomSteps = 6;

    public delegate double Evaluate(ReadOnlySpan<double> x, Span<double> g);

    /// <summary>
    /// Searches along d from x (value f0, gradient g0). Writes the accepted point into xt, gradient into gt.
    /// Returns (step, value, evaluations); step 0 means no acceptable step was found (xt/gt then hold x/g0).
    /// </summary>
    public (double Step, double Value, int Evaluations) Search(Evaluate f, double[] x, double f0, double[] g0, double[] d,
        double initialStep, double[] xt, double[] gt, double[] gLo)
    {
        double dphi0 = TensorPrimitives.Dot<double>(g0, d);
        int evals = 0;
        double tPrev = 0, fPrev = f0, dPrev = dphi0;
        double t = initialStep;
        double best = f0, bestStep = 0;
        g0.CopyTo(gLo);
        for (int i = 0; i < maxSteps; i++)
        {
            double ft = Trial(f, x, d, t, xt, gt); evals++;
            double dt = TensorPrimitives.Dot<double>(gt, d);
            if (!double.IsFinite(ft) || ft > f0 + c1 * t * dphi0 || (i > 0 && ft >= fPrev))
                return Zoom(f, x, f0, dphi0, d, tPrev, fPrev, dPrev, t, ft, dt, xt, gt, gLo, evals, maxSteps - i - 1);
            if (Math.Abs(dt) <= -c2 * dphi0) return (t, ft, evals);
            if (dt >= 0)
            {
                var swapped = (double[])gt.Clone();
                return Zoom(f, x, f0, dphi0, d, t, ft, dt, tPrev, fPrev, dPrev, xt, gt, swapped, evals, maxSteps - i - 1);
            }
            if (ft < best) { best = ft; bestStep = t; }
            tPrev = t; fPrev = ft; dPrev = dt;
            gt.CopyTo(gLo);
            t *= 2.5;
        }
        return Accept(f, x, d, bestStep, f0, g0, xt, gt, evals);
    }

    private (double, double, int) Zoom(Evaluate f, double[] x, double f0, double dphi0, double[] d,
        double tLo, double fLo, double dLo, double tHi, double fHi, double dHi,
        double[] xt, double[] gt, double[] gLoBuffer, int evals, int budget)
    {
        // gLoBuffer holds the gradient at tLo.
        // A few zoom steps suffice when F is smooth; near the optimum the float32 noise in F can make the curvature
        // condition unreachable, and then the best sufficient-decrease point found is taken (below) rather than
        // spending the whole budget.
        for (int j = 0; j < Math.Clamp(budget, 3, MaxZoomSteps); j++)
        {
            double t = Interpolate(tLo, fLo, dLo, tHi, fHi, dHi);
            double ft = Trial(f, x, d, t, xt, gt); evals++;
            double dt = TensorPrimitives.Dot<double>(gt, d);
            if (!double.IsFinite(ft) || ft > f0 + c1 * t * dphi0 || ft >= fLo)
            {
                tHi = t; fHi = ft; dHi = dt;
            }
            else
            {
                if (Math.Abs(dt) <= -c2 * dphi0) return (t, ft, evals);
                if (dt * (tHi - tLo) >= 0) { tHi = tLo; fHi = fLo; dHi = dLo; }
                tLo = t; fLo = ft; dLo = dt;
                gt.CopyTo(gLoBuffer);
            }
            if (Math.Abs(tHi - tLo) <= 1e-12 * Math.Max(1, Math.Abs(tLo))) break;
        }
        // Accept the best sufficient-decrease point found (its gradient is in gLoBuffer), if any.
        if (tLo > 0 && fLo < f0)
        {
            for (int i = 0; i < x.Length; i++) xt[i] = x[i] + tLo * d[i];
            gLoBuffer.CopyTo(gt);
            return (tLo, fLo, evals);
        }
        return (0, f0, evals);
    }

    private static (double, double, int) Accept(Evaluate f, double[] x, double[] d, double t, double f0, double[] g0, double[] xt, double[] gt, int evals)
    {
        if (t == 0) { x.CopyTo(xt); g0.CopyTo(gt); return (0, f0, evals); }
        double ft = Trial(f, x, d, t, xt, gt);
        return (t, ft, evals + 1);
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

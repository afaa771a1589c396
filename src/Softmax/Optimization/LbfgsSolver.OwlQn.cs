namespace Softmax.Optimization;

/// <summary>OWL-QN (Andrew and Gao, 2007), the L-BFGS variant for λ1 &gt; 0: pseudo-gradient and projected search.</summary>
public sealed partial class LbfgsSolver
{
    private sealed partial class Run
    {
        /// <summary>OWL-QN's backtracking: project each trial onto the orthant of x (or of −pg where x is 0).</summary>
        private (double Step, double Value) ProjectedBacktracking(double step)
        {
            var (x, pg, d, xt, l1) = (_x, _pg, _d, _xt, _l1!);
            double noise = Noise(_f);
            for (int k = 0; k < Options.MaxLineSearchSteps * 2; k++, step *= 0.5)
            {
                double decrease = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    double orthant = x[i] != 0 ? Math.Sign(x[i]) : -Math.Sign(pg[i]);
                    double v = x[i] + step * d[i];
                    xt[i] = Math.Sign(v) == orthant ? v : 0;
                    decrease += pg[i] * (xt[i] - x[i]);
                }
                double ft = F(xt, _gt);
                // ft already holds λ1‖W‖₁, which equals Σ l1_i |φ_i| because W_cd = a_d W̃_cd.
                if (!double.IsFinite(ft)) continue;
                if (ft <= _f + 1e-4 * decrease) return (step, ft);
                // Where F cannot resolve the decrease, a step that keeps F within its noise and still descends at the new
                // point (the pseudo-gradient there points along the move) is progress.
                if (ft <= _f + noise && decrease < 0 && StillDescending(xt, x, l1)) return (step, ft);
            }
            return (0, _f);
        }

        /// <summary>True when the pseudo-gradient at xt (gradient in _gt) has a non-positive slope along xt − x.</summary>
        private bool StillDescending(double[] xt, double[] x, double[] l1)
        {
            PseudoGradient(xt, _gt, l1, _gLo);
            double slope = 0;
            for (int i = 0; i < x.Length; i++) slope += _gLo[i] * (xt[i] - x[i]);
            return slope <= 0;
        }
    }

    /// <summary>OWL-QN pseudo-gradient of f + Σ l1_i |x_i| (the plain gradient when l1 is null).</summary>
    private static void PseudoGradient(double[] x, double[] g, double[]? l1, double[] pg)
    {
        if (l1 is null) { g.CopyTo(pg, 0); return; }
        for (int i = 0; i < x.Length; i++) pg[i] = Pseudo(x[i], g[i], l1[i]);
    }

    /// <summary>One entry of the pseudo-gradient of f + w|x|: the one-sided derivative that descends, 0 where none does.</summary>
    private static double Pseudo(double x, double g, double w) =>
        x > 0 ? g + w : x < 0 ? g - w : g + w < 0 ? g + w : g - w > 0 ? g - w : 0;
}

using System.Numerics.Tensors;
using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>
/// Full-batch L-BFGS with a strong-Wolfe line search; with λ1 &gt; 0 it runs as OWL-QN (Andrew and Gao, 2007):
/// pseudo-gradient, direction restricted to the pseudo-gradient's orthant, and a projected backtracking search.
/// Optionally works in preconditioned coordinates (<see cref="Reparameterization"/>) that leave F unchanged.
/// Stops on the gradient's infinity norm, on relative decrease, or on the iteration limit, and says which.
/// </summary>
public sealed class LbfgsSolver : ISolver
{
    private readonly FeatureMoments? _moments;

    /// <summary>Creates the solver; <paramref name="moments"/> of the training features enable preconditioning.</summary>
    public LbfgsSolver(LbfgsOptions? options = null, FeatureMoments? moments = null)
    {
        Options = (options ?? new LbfgsOptions()).Validate();
        _moments = Options.Precondition ? moments : null;
    }

    /// <summary>Iterations over which the relative decrease is averaged for <see cref="LbfgsOptions.RelativeTolerance"/>.</summary>
    public const int RelativeWindow = 5;

    /// <summary>Settings.</summary>
    public LbfgsOptions Options { get; }

    /// <inheritdoc />
    public string Name => "lbfgs";

    /// <inheritdoc />
    public SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(context);
        int n = objective.Dimension, m = Options.History;
        IReparameterization? map = _moments is null ? null
            : _moments.Covariance is not null && objective.L1 == 0 ? new Whitening(_moments, objective.Classes, objective.L2)
            : new Reparameterization(_moments, objective.Classes, objective.L2);
        var outer = new double[n];
        int evaluations = 0;
        double F(ReadOnlySpan<double> phi, Span<double> g)
        {
            evaluations++;
            if (map is null) return objective.ValueAndGradient(phi, g);
            map.ToOuter(phi, outer);
            double v = objective.ValueAndGradient(outer, g);
            map.GradientToInner(g);
            return v;
        }
        double[] Outer(double[] phi)
        {
            if (map is null) return (double[])phi.Clone();
            var t = new double[n];
            map.ToOuter(phi, t);
            return t;
        }

        // L1 weight of each coordinate in φ: λ1·a_d on W̃, 0 on the bias.
        double[]? l1 = null;
        if (objective.L1 > 0)
        {
            l1 = new double[n];
            int D = objective.Features;
            for (int k = 0; k < objective.WeightCount; k++) l1[k] = objective.L1 * (map is null ? 1 : map.L1Scale(k % D));
        }

        var x = new double[n];
        if (map is null) theta0.CopyTo(x, 0); else map.ToInner(theta0, x);
        var g = new double[n];
        var pg = new double[n];
        var d = new double[n];
        var xt = new double[n];
        var gt = new double[n];
        var gLo = new double[n];
        var s = new double[m][];
        var y = new double[m][];
        var rho = new double[m];
        var alpha = new double[m];
        for (int i = 0; i < m; i++) { s[i] = new double[n]; y[i] = new double[n]; }
        int stored = 0, head = 0;

        double f;
        int iter = 0;
        var recent = new double[RelativeWindow];   // F of the last iterations, for the windowed relative decrease
        if (context.ResumeFrom is { } state)
        {
            if (state.Solver != Name || state.Buffers.Length != 4 + 2 * m) throw new ArgumentException("The checkpoint was not written by L-BFGS with this history size.");
            state.Buffers[3 + 2 * m].CopyTo(recent, 0);
            state.Buffers[0].CopyTo(x, 0);
            state.Buffers[1].CopyTo(g, 0);
            state.Buffers[2].CopyTo(rho, 0);
            for (int i = 0; i < m; i++) { state.Buffers[3 + i].CopyTo(s[i], 0); state.Buffers[3 + m + i].CopyTo(y[i], 0); }
            f = state.Scalars[0];
            head = (int)state.Scalars[1];
            stored = (int)state.Scalars[2];
            evaluations = (int)state.Scalars[3];
            iter = state.Iteration;
            context.Restore(state);
        }
        else f = F(x, g);
        if (!double.IsFinite(f)) throw new TrainingDivergedException($"lbfgs: F is {f} at the starting point.");
        var search = new StrongWolfeLineSearch(Options.MaxLineSearchSteps);
        var reason = StopReason.MaxIterations;
        while (true)
        {
            PseudoGradient(x, g, l1, pg);
            double gnorm = Math.Abs(TensorPrimitives.MaxMagnitude<double>(pg));
            if (gnorm <= Options.GradientTolerance) { reason = StopReason.GradientTolerance; break; }
            if (iter >= Options.MaxIterations) { reason = StopReason.MaxIterations; break; }
            if (context.CancellationToken.IsCancellationRequested) { reason = StopReason.Cancelled; break; }

            TwoLoop(pg, s, y, rho, alpha, stored, head, m, d);
            if (l1 is not null)
                for (int i = 0; i < n; i++) if (d[i] * pg[i] >= 0) d[i] = 0;
            double slope = TensorPrimitives.Dot<double>(d, pg);
            if (!(slope < 0))
            {
                stored = 0;
                TensorPrimitives.Negate<double>(pg, d);
                slope = TensorPrimitives.Dot<double>(d, pg);
            }
            double step0 = stored == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(TensorPrimitives.Dot<double>(pg, pg))) : 1.0;

            double fNew, step;
            if (l1 is null)
            {
                int used;
                (step, fNew, used) = search.Search((a, b) => F(a, b), x, f, g, d, step0, xt, gt, gLo);
            }
            else (step, fNew) = ProjectedBacktracking(F, x, f, g, pg, d, l1, step0, xt, gt);

            if (step == 0 || !(fNew <= f))
            {
                if (stored > 0) { stored = 0; continue; }   // retry once along −pg before giving up
                reason = StopReason.LineSearchStalled;
                break;
            }
            int slot = head;
            for (int i = 0; i < n; i++) { s[slot][i] = xt[i] - x[i]; y[slot][i] = gt[i] - g[i]; }
            double sy = TensorPrimitives.Dot<double>(s[slot], y[slot]);
            if (sy > 1e-12 * TensorPrimitives.Dot<double>(y[slot], y[slot]))
            {
                rho[slot] = 1 / sy;
                head = (head + 1) % m;
                stored = Math.Min(stored + 1, m);
            }
            // Relative decrease averaged over the last few iterations: one short step alone does not stop the run.
            recent[iter % RelativeWindow] = f;
            double past = iter >= RelativeWindow - 1 ? recent[(iter + 1) % RelativeWindow] : double.PositiveInfinity;
            double relative = (past - fNew) / (RelativeWindow * Math.Max(Math.Max(Math.Abs(past), Math.Abs(fNew)), 1));
            (x, xt) = (xt, x);
            (g, gt) = (gt, g);
            f = fNew;
            iter++;
            bool validate = context.Validate is not null && iter % Math.Max(1, context.ValidateEvery) == 0;
            var current = x;
            if (context.Report(Name, iter, evaluations, f, gnorm, validate ? Outer(x) : x, Options.MaxIterations, validate, () => Outer(current)))
            {
                reason = StopReason.EarlyStopping;
                break;
            }
            context.MaybeCheckpoint(iter, () => new SolverState(Name, iter, evaluations,
                [(double[])x.Clone(), (double[])g.Clone(), (double[])rho.Clone(), .. s.Select(a => (double[])a.Clone()), .. y.Select(a => (double[])a.Clone()), (double[])recent.Clone()],
                [f, head, stored, evaluations], context.History.ToArray()));
            if (relative < Options.RelativeTolerance) { reason = StopReason.RelativeDecrease; break; }
        }
        var theta = context.Choose(Outer(x), reason);
        double final = ReferenceEquals(theta, context.Best) ? objective.Value(theta) : f;
        return new SolverResult(theta, final, iter, evaluations, evaluations, reason, context.History.ToArray());
    }

    /// <summary>H·(−pg) by the two-loop recursion; H0 = γI with γ = sᵀy/yᵀy of the newest pair.</summary>
    private static void TwoLoop(double[] pg, double[][] s, double[][] y, double[] rho, double[] alpha, int stored, int head, int m, double[] d)
    {
        TensorPrimitives.Negate<double>(pg, d);
        for (int k = 0; k < stored; k++)
        {
            int i = (head - 1 - k + m) % m;
            alpha[i] = rho[i] * TensorPrimitives.Dot<double>(s[i], d);
            TensorPrimitives.MultiplyAdd<double>(y[i], -alpha[i], d, d);
        }
        if (stored > 0)
        {
            int newest = (head - 1 + m) % m;
            double gamma = 1 / (rho[newest] * TensorPrimitives.Dot<double>(y[newest], y[newest]));
            TensorPrimitives.Multiply<double>(d, gamma, d);
        }
        for (int k = stored - 1; k >= 0; k--)
        {
            int i = (head - 1 - k + m) % m;
            double beta = rho[i] * TensorPrimitives.Dot<double>(y[i], d);
            TensorPrimitives.MultiplyAdd<double>(s[i], alpha[i] - beta, d, d);
        }
    }

    /// <summary>OWL-QN pseudo-gradient of f + Σ l1_i |x_i| (the plain gradient when l1 is null).</summary>
    private static void PseudoGradient(double[] x, double[] g, double[]? l1, double[] pg)
    {
        if (l1 is null) { g.CopyTo(pg, 0); return; }
        for (int i = 0; i < x.Length; i++)
        {
            double w = l1[i];
            if (x[i] > 0) pg[i] = g[i] + w;
            else if (x[i] < 0) pg[i] = g[i] - w;
            else if (g[i] + w < 0) pg[i] = g[i] + w;
            else if (g[i] - w > 0) pg[i] = g[i] - w;
            else pg[i] = 0;
        }
    }

    private delegate double Eval(ReadOnlySpan<double> x, Span<double> g);

    /// <summary>OWL-QN's backtracking: project each trial onto the orthant of x (or of −pg where x is 0).</summary>
    private (double Step, double Value) ProjectedBacktracking(Eval f, double[] x, double f0, double[] g, double[] pg, double[] d,
        double[] l1, double step, double[] xt, double[] gt)
    {
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
            double ft = f(xt, gt);
            // ft already holds λ1‖W‖₁, which equals Σ l1_i |φ_i| because W_cd = a_d W̃_cd.
            if (double.IsFinite(ft) && ft <= f0 + 1e-4 * decrease) return (step, ft);
        }
        return (0, f0);
    }
}

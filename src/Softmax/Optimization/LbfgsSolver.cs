using System.Numerics.Tensors;
using Softmax.Engine;
using Precision = Softmax.Engine.Precision;

namespace Softmax.Optimization;

/// <summary>
/// Full-batch L-BFGS with a strong-Wolfe line search; with λ1 &gt; 0 it runs as OWL-QN (Andrew and Gao, 2007):
/// pseudo-gradient, direction restricted to the pseudo-gradient's orthant, and a projected backtracking search.
/// Optionally works in preconditioned coordinates (<see cref="Reparameterization"/>) that leave F unchanged.
/// Stops on the gradient's infinity norm (evaluated in float64: see <see cref="Precision"/>), on the optional relative
/// decrease, or on the iteration limit, and says which.
/// </summary>
public sealed class LbfgsSolver : ISolver
{
    private readonly FeatureMoments? _moments;
    private readonly double[]? _featureScale;   // max(1, RMS of each feature): the gradient test's scale

    /// <summary>Creates the solver; <paramref name="moments"/> of the training features enable preconditioning.</summary>
    public LbfgsSolver(LbfgsOptions? options = null, FeatureMoments? moments = null)
    {
        Options = (options ?? new LbfgsOptions()).Validate();
        _moments = Options.Precondition ? moments : null;
        _featureScale = moments is null ? null : FeatureScale(moments);
    }

    /// <summary>
    /// max(1, RMS) of each feature. A float64 ∂F/∂W_cd carries rounding of order 1e-16·|x_d|, so on raw features in the
    /// thousands an unscaled test below ~1e-12 could never be met; on data scaled to RMS ≤ 1 (standardized, pixels/255)
    /// the scale is 1 and the test is scikit-learn's.
    /// </summary>
    private static double[] FeatureScale(FeatureMoments moments)
    {
        var scale = new double[moments.Mean.Length];
        for (int d = 0; d < scale.Length; d++) scale[d] = Math.Max(1, Math.Sqrt(moments.Variance[d] + moments.Mean[d] * moments.Mean[d]));
        return scale;
    }

    /// <summary>Iterations over which the relative decrease is averaged for <see cref="LbfgsOptions.RelativeTolerance"/>.</summary>
    public const int RelativeWindow = 5;

    /// <summary>Settings.</summary>
    public LbfgsOptions Options { get; }

    /// <inheritdoc />
    public string Name => "lbfgs";

    /// <summary>
    /// Problems with N·D·C up to this size run in float64 from the start under <see cref="Precision.Auto"/> (a float64
    /// pass costs well under a tenth of a second there); larger ones run float32 passes, then polish in float64.
    /// </summary>
    public const long ExactWorkLimit = 50_000_000;

    /// <summary>Under auto precision, float32 hands over to float64 once F's averaged relative decrease falls below this.</summary>
    public const double Float32Floor = 1e-9;

    /// <inheritdoc />
    public SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(context);
        ChooseArithmetic(objective.Loss, context.Precision);
        return new Run(this, objective, context).Execute(theta0);
    }

    /// <summary>The arithmetic to start in: what was asked for; under auto, float64 for small problems (on an engine that has it) and float32 otherwise.</summary>
    private static void ChooseArithmetic(ISoftmaxLoss loss, Precision asked)
    {
        if (asked == Precision.Float64)
        {
            if (!loss.TrySetArithmetic(Precision.Float64))
                throw new NotSupportedException($"This engine ({loss.GetType().Name}) has no float64 arithmetic; use precision auto or float32.");
            return;
        }
        // A float32 engine paired with the CPU for its polish (the GPU) starts on its own arithmetic even when small: the
        // device runs the passes, the CPU only the float64 polish.
        bool small = (long)loss.Rows * loss.Features * loss.Classes <= ExactWorkLimit && loss is not TwoPrecisionLoss;
        loss.TrySetArithmetic(asked == Precision.Auto && small ? Precision.Float64 : Precision.Float32);
    }

    /// <summary>One minimisation: the iterate, its (pseudo-)gradient, the correction pairs and the stop tests.</summary>
    private sealed class Run
    {
        private readonly LbfgsSolver _solver;
        private readonly SoftmaxObjective _objective;
        private readonly SolverContext _context;
        private readonly IReparameterization? _map;
        private readonly double[]? _l1;       // L1 weight of each coordinate in φ: λ1·a_d on W̃, 0 on the bias
        private readonly int _n, _m;
        private readonly double[] _outer, _pg, _d, _gLo, _rho, _alpha;
        private readonly double[][] _s, _y;
        private readonly double[] _recent = new double[RelativeWindow];   // F of the last iterations
        private readonly WolfeLineSearch _search;
        private readonly (double[] Phi, double[] Theta, double[] Gradient) _last;   // of the latest evaluation (with a map)
        private double[] _x, _g, _xt, _gt;
        private double _f;
        private int _stored, _head, _iter, _evaluations, _windowStart, _sinceBestGradient;
        private double _bestGradient = double.PositiveInfinity;
        private const int StallIterations = 30;

        public Run(LbfgsSolver solver, SoftmaxObjective objective, SolverContext context)
        {
            (_solver, _objective, _context) = (solver, objective, context);
            _n = objective.Dimension;
            _m = solver.Options.HistoryFor(_n, objective.L1 > 0);
            var moments = solver._moments;
            _map = moments is null ? null
                : moments.Covariance is not null && objective.L1 == 0 ? new Whitening(moments, objective.Classes, objective.L2)
                : new Reparameterization(moments, objective.Classes, objective.L2);
            if (objective.L1 > 0)
            {
                _l1 = new double[_n];
                int D = objective.Features;
                for (int k = 0; k < objective.WeightCount; k++) _l1[k] = objective.L1 * (_map is null ? 1 : _map.L1Scale(k % D));
            }
            _outer = new double[_n];
            (_x, _g, _xt, _gt, _pg, _d, _gLo) = (new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n]);
            (_rho, _alpha) = (new double[_m], new double[_m]);
            _s = new double[_m][];
            _y = new double[_m][];
            for (int i = 0; i < _m; i++) { _s[i] = new double[_n]; _y[i] = new double[_n]; }
            _search = new WolfeLineSearch(solver.Options.MaxLineSearchSteps);
            _last = _map is null ? ([], [], []) : (new double[_n], new double[_n], new double[_n]);
        }

        private LbfgsOptions Options => _solver.Options;

        private Precision Arithmetic => _objective.Loss.Arithmetic;

        /// <summary>F and its gradient in the solver's coordinates φ.</summary>
        private double F(ReadOnlySpan<double> phi, Span<double> g)
        {
            _evaluations++;
            if (_map is null) return _objective.ValueAndGradient(phi, g);
            _map.ToOuter(phi, _outer);
            double v = _objective.ValueAndGradient(_outer, g);
            // The last point's θ and ∂F/∂θ, so the stop test rarely has to map the gradient back (C·D² for whitening).
            phi.CopyTo(_last.Phi);
            _outer.CopyTo(_last.Theta, 0);
            g.CopyTo(_last.Gradient);
            _map.GradientToInner(g);
            return v;
        }

        private double[] Outer(double[] phi)
        {
            if (_map is null) return (double[])phi.Clone();
            var t = new double[_n];
            _map.ToOuter(phi, t);
            return t;
        }

        /// <summary>The absolute rounding error of F in the current arithmetic: the line search cannot resolve less.</summary>
        private double Noise(double f) => (Arithmetic == Precision.Float64 ? 1e-13 : 1e-7) * Math.Abs(f);

        public SolverResult Execute(double[] theta0)
        {
            if (_context.ResumeFrom is { } state) Restore(state);
            else
            {
                if (_map is null) theta0.CopyTo(_x, 0); else _map.ToInner(theta0, _x);
                _f = F(_x, _g);
            }
            if (!double.IsFinite(_f)) throw new TrainingDivergedException($"lbfgs: F is {_f} at the starting point.");
            var reason = Iterate();
            var theta = _context.Choose(Outer(_x), reason);
            double final = ReferenceEquals(theta, _context.Best) ? _objective.Value(theta) : _f;
            return new SolverResult(theta, final, _iter, _evaluations, _evaluations, reason, _context.History.ToArray());
        }

        private StopReason Iterate()
        {
            while (true)
            {
                PseudoGradient(_x, _g, _l1, _pg);
                double gnorm = GradientNorm();
                if (gnorm <= Options.GradientTolerance) { if (Polish()) continue; return StopReason.Converged; }
                if (_iter >= Options.MaxIterations) return StopReason.MaxIterations;
                if (_context.CancellationToken.IsCancellationRequested) return StopReason.Cancelled;
                double fNew = Step();
                if (double.IsNaN(fNew))
                {
                    if (_stored > 0) { _stored = 0; continue; }   // retry once along −pg before anything else
                    if (Polish()) continue;
                    return StopReason.PrecisionLimit;
                }
                double relative = Accept(fNew);
                if (Record(gnorm)) return StopReason.EarlyStopping;
                if (Options.RelativeTolerance > 0 && relative < Options.RelativeTolerance) { if (Polish()) continue; return StopReason.RelativeDecrease; }
                if (relative < Float32Floor && Polish()) continue;
                if (Stalled(gnorm, relative)) return StopReason.PrecisionLimit;
            }
        }

        /// <summary>
        /// The quantity <see cref="LbfgsOptions.GradientTolerance"/> is defined on, whatever coordinates the solver works
        /// in: ‖·‖∞ of the (pseudo-)gradient of F with respect to θ = (W, b), each ∂F/∂W_cd divided by the feature's
        /// scale max(1, RMS of x_d) when the moments are known.
        /// </summary>
        private double GradientNorm()
        {
            var scale = _solver._featureScale;
            if (_map is null && scale is null) return Math.Abs(TensorPrimitives.MaxMagnitude<double>(_pg));
            int weights = _objective.WeightCount, D = _objective.Features;
            var pg = _pg;
            if (_map is not null)
            {
                double[] theta = _last.Theta, gradient = _last.Gradient;
                if (!_x.AsSpan().SequenceEqual(_last.Phi))
                {
                    (theta, gradient) = (_outer, _gLo);
                    _map.ToOuter(_x, theta);
                    _map.GradientToOuter(_g, gradient);
                }
                for (int i = 0; i < _n; i++) _gLo[i] = Pseudo(theta[i], gradient[i], i < weights ? _objective.L1 : 0);
                pg = _gLo;
            }
            double norm = 0;
            for (int i = 0; i < _n; i++) norm = Math.Max(norm, Math.Abs(pg[i]) / (scale is not null && i < weights ? scale[i % D] : 1));
            return norm;
        }

        /// <summary>
        /// True when neither F (its averaged relative decrease below the arithmetic's resolution) nor the gradient norm
        /// (no new low by 10 %) has moved for <see cref="StallIterations"/> iterations: the line search is only taking
        /// rounding-level steps, and the gradient test cannot be met in this arithmetic.
        /// </summary>
        private bool Stalled(double gnorm, double relative)
        {
            if (gnorm < 0.9 * _bestGradient) (_bestGradient, _sinceBestGradient) = (gnorm, 0);
            else _sinceBestGradient++;
            double resolution = Arithmetic == Precision.Float64 ? 1e-15 : Float32Floor;
            return relative < resolution && _sinceBestGradient >= StallIterations;
        }

        /// <summary>
        /// Under auto precision, hands a float32 run over to float64 where F and the gradient are exact: F and ∇F are
        /// evaluated again at x, the correction pairs kept, the decrease window restarted. False when already float64.
        /// </summary>
        private bool Polish()
        {
            if (_context.Precision != Precision.Auto || Arithmetic == Precision.Float64) return false;
            if (!_objective.Loss.TrySetArithmetic(Precision.Float64)) return false;
            _f = F(_x, _g);
            _windowStart = _iter;
            (_bestGradient, _sinceBestGradient) = (double.PositiveInfinity, 0);
            return true;
        }

        /// <summary>One quasi-Newton step: direction, line search; NaN when no acceptable step was found.</summary>
        private double Step()
        {
            TwoLoop(_pg, _s, _y, _rho, _alpha, _stored, _head, _m, _d);
            if (_l1 is not null)
                for (int i = 0; i < _n; i++) if (_d[i] * _pg[i] >= 0) _d[i] = 0;
            double slope = TensorPrimitives.Dot<double>(_d, _pg);
            if (!(slope < 0))
            {
                _stored = 0;
                TensorPrimitives.Negate<double>(_pg, _d);
            }
            double step0 = _stored == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(TensorPrimitives.Dot<double>(_pg, _pg))) : 1.0;
            var (step, fNew) = _l1 is null
                ? _search.Search(F, _x, _f, _g, _d, step0, Noise(_f), _xt, _gt, _gLo)
                : ProjectedBacktracking(step0);
            return step == 0 ? double.NaN : fNew;
        }

        /// <summary>Moves to the trial point, stores the correction pair, and returns the averaged relative decrease.</summary>
        private double Accept(double fNew)
        {
            int slot = _head;
            for (int i = 0; i < _n; i++) { _s[slot][i] = _xt[i] - _x[i]; _y[slot][i] = _gt[i] - _g[i]; }
            double sy = TensorPrimitives.Dot<double>(_s[slot], _y[slot]);
            if (sy > 1e-12 * TensorPrimitives.Dot<double>(_y[slot], _y[slot]))
            {
                _rho[slot] = 1 / sy;
                _head = (_head + 1) % _m;
                _stored = Math.Min(_stored + 1, _m);
            }
            // Relative decrease averaged over the last few iterations: one short step alone does not stop the run.
            _recent[_iter % RelativeWindow] = _f;
            double past = _iter - _windowStart >= RelativeWindow - 1 ? _recent[(_iter + 1) % RelativeWindow] : double.PositiveInfinity;
            double relative = (past - fNew) / (RelativeWindow * Math.Max(Math.Max(Math.Abs(past), Math.Abs(fNew)), 1));
            (_x, _xt) = (_xt, _x);
            (_g, _gt) = (_gt, _g);
            _f = fNew;
            _iter++;
            return relative;
        }

        /// <summary>Reports the iteration (validating every few), writes a checkpoint when due; true when early stopping fires.</summary>
        private bool Record(double gnorm)
        {
            bool validate = _context.Validate is not null && _iter % Math.Max(1, _context.ValidateEvery) == 0;
            var current = _x;
            if (_context.Report(_solver.Name, _iter, 0, _evaluations, _f, gnorm, validate ? Outer(_x) : _x, Options.MaxIterations, validate, () => Outer(current)))
                return true;
            _context.MaybeCheckpoint(_iter, State);
            return false;
        }

        /// <summary>The run's state by name (docs/formats.md, "Solver state"): correction pair i is "s{i}", "y{i}" in ring order.</summary>
        private SolverState State()
        {
            var vectors = new Dictionary<string, double[]>(StringComparer.Ordinal)
            {
                [SolverState.ParametersName] = (double[])_x.Clone(), ["gradient"] = (double[])_g.Clone(),
                ["rho"] = (double[])_rho.Clone(), ["recent_f"] = (double[])_recent.Clone(),
            };
            for (int i = 0; i < _m; i++) { vectors[$"s{i}"] = (double[])_s[i].Clone(); vectors[$"y{i}"] = (double[])_y[i].Clone(); }
            var scalars = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["f"] = _f, ["head"] = _head, ["stored"] = _stored, ["arithmetic"] = (double)Arithmetic, ["window_start"] = _windowStart,
                ["best_gradient"] = _bestGradient, ["since_best_gradient"] = _sinceBestGradient,
            };
            return new SolverState(_solver.Name, _iter, 0, _evaluations, vectors, scalars, _context.History.ToArray());
        }

        private void Restore(SolverState state)
        {
            if (state.Solver != _solver.Name) throw new ArgumentException($"The checkpoint was written by {state.Solver}, not {_solver.Name}.");
            if (state.Vectors.ContainsKey($"s{_m}") || !state.Vectors.ContainsKey($"s{_m - 1}"))
                throw new ArgumentException($"The checkpoint was not written by L-BFGS with history size {_m}.");
            foreach (var (name, into) in new[] { (SolverState.ParametersName, _x), ("gradient", _g), ("rho", _rho), ("recent_f", _recent) }) state.CopyVector(name, into);
            for (int i = 0; i < _m; i++) { state.CopyVector($"s{i}", _s[i]); state.CopyVector($"y{i}", _y[i]); }
            _f = state.Scalar("f");
            (_head, _stored, _windowStart) = ((int)state.Scalar("head"), (int)state.Scalar("stored"), (int)state.Scalar("window_start"));
            (_bestGradient, _sinceBestGradient) = (state.Scalar("best_gradient"), (int)state.Scalar("since_best_gradient"));
            // A run that had moved to float64 resumes in float64.
            if ((Precision)(int)state.Scalar("arithmetic") == Precision.Float64) _objective.Loss.TrySetArithmetic(Precision.Float64);
            _evaluations = state.Evaluations;
            _iter = state.Iteration;
            _context.Restore(state);
        }

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
        for (int i = 0; i < x.Length; i++) pg[i] = Pseudo(x[i], g[i], l1[i]);
    }

    /// <summary>One entry of the pseudo-gradient of f + w|x|: the one-sided derivative that descends, 0 where none does.</summary>
    private static double Pseudo(double x, double g, double w) =>
        x > 0 ? g + w : x < 0 ? g - w : g + w < 0 ? g + w : g - w > 0 ? g - w : 0;
}

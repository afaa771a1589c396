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
public sealed partial class LbfgsSolver : ISolver
{
    private readonly FeatureMoments? _moments;
    // max(1, RMS) of each feature, the gradient test's scale. A float64 ∂F/∂W_cd carries rounding of order 1e-16·|x_d|,
    // so on raw features in the thousands an unscaled test below ~1e-12 could never be met; on data scaled to RMS ≤ 1
    // (standardized, pixels/255) the scale is 1 and the test is scikit-learn's.
    private readonly double[]? _featureScale;
    private Whitening? _whitening;  // the last whitening built, for runs of the same problem

    /// <summary>Threads for the preconditioner's maps (0: all cores); the trainer passes the engine's.</summary>
    internal int MapThreads { get; init; }

    /// <summary>Creates the solver; <paramref name="moments"/> of the training features enable preconditioning.</summary>
    public LbfgsSolver(LbfgsOptions? options = null, FeatureMoments? moments = null)
    {
        Options = (options ?? new LbfgsOptions()).Validate();
        _moments = Options.Precondition ? moments : null;
        _featureScale = moments?.Mean.Select((m, d) => Math.Max(1, Math.Sqrt(moments.Variance[d] + m * m))).ToArray();
    }

    /// <summary>
    /// The coordinates a run works in: none, per-feature scaling (L1, or no covariance), or whitening, built once per
    /// class count and λ2 and kept for later runs (moments the solver owns give up their covariance to it).
    /// </summary>
    private Reparameterization? Map(SoftmaxObjective objective)
    {
        var moments = _moments;
        if (moments is null) return null;
        if (objective.L1 != 0) return new DiagonalScaling(moments, objective.Classes, objective.L2);
        if (_whitening is { } kept && kept.Classes == objective.Classes && kept.L2 == objective.L2) return kept;
        if (moments.Covariance is not null) return _whitening = new Whitening(moments, objective.Classes, objective.L2, MapThreads);
        if (_whitening is not null)
            throw new InvalidOperationException("This solver's preconditioner was built for another class count or λ2 from moments it owned; create a solver for each problem.");
        return new DiagonalScaling(moments, objective.Classes, objective.L2);
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
    /// <remarks>
    /// 1e-10 rather than 1e-9: float32 passes went on paying their way below 1e-9. On Fashion-MNIST (λ = 1e-4, uint8,
    /// 2 threads) the handover moved from iteration 260 to 289, where float32 stops making progress (floors of 1e-10,
    /// 3e-11 and 1e-11 all hand over there), and 360 evaluations to within 1e-9 of F* instead of 358, 53 of them in
    /// float64 instead of 82 (2026-12-02).
    /// </remarks>
    public const double Float32Floor = 1e-10;

    /// <inheritdoc />
    public SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(context);
        // Under auto, float64 from the start for small problems. A float32 engine paired with the CPU for its polish
        // (the GPU) starts on its own arithmetic even when small: the device runs the passes, the CPU only the polish.
        var loss = objective.Loss;
        context.SetArithmetic(loss, (long)loss.Rows * loss.Features * loss.Classes <= ExactWorkLimit && loss is not TwoPrecisionLoss);
        return new Run(this, objective, context).Execute(theta0);
    }

    /// <summary>One minimisation: the iterate, its (pseudo-)gradient, the correction pairs and the stop tests.</summary>
    private sealed partial class Run
    {
        private readonly LbfgsSolver _solver;
        private readonly SoftmaxObjective _objective;
        private readonly SolverContext _context;
        private readonly Reparameterization? _map;
        private readonly double[]? _l1;       // L1 weight of each coordinate in φ: λ1·a_d on W̃, 0 on the bias
        private readonly int _n;
        private readonly double[] _outer, _pg, _d, _gLo;
        private readonly CorrectionPairs _pairs;
        private readonly double[] _recent = new double[RelativeWindow];   // F of the last iterations
        private readonly WolfeLineSearch _search;
        private readonly (double[] Phi, double[] Theta, double[] Gradient) _last;   // of the latest evaluation (with a map)
        private double[] _x, _g, _xt, _gt;
        private double _f;
        private int _iter, _evaluations, _windowStart, _sinceBestGradient;
        private double _bestGradient = double.PositiveInfinity;
        private const int StallIterations = 30;

        public Run(LbfgsSolver solver, SoftmaxObjective objective, SolverContext context)
        {
            (_solver, _objective, _context) = (solver, objective, context);
            _n = objective.Dimension;
            _map = solver.Map(objective);
            if (objective.L1 > 0)
            {
                _l1 = new double[_n];
                int D = objective.Features;
                for (int k = 0; k < objective.WeightCount; k++) _l1[k] = objective.L1 * (_map is null ? 1 : _map.L1Scale(k % D));
            }
            _outer = new double[_n];
            (_x, _g, _xt, _gt, _pg, _d, _gLo) = (new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n]);
            _pairs = new CorrectionPairs(solver.Options.HistoryFor(_n, objective.L1 > 0), _n);
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
            return new SolverResult(theta, final, _iter, 0, _evaluations, reason, _context.History.ToArray());
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
                    if (_pairs.Stored > 0) { _pairs.Stored = 0; continue; }   // retry once along −pg before anything else
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
            _pairs.Direction(_pg, _d);
            if (_l1 is not null)
                for (int i = 0; i < _n; i++) if (_d[i] * _pg[i] >= 0) _d[i] = 0;
            double slope = TensorPrimitives.Dot<double>(_d, _pg);
            if (!(slope < 0))
            {
                _pairs.Stored = 0;
                TensorPrimitives.Negate<double>(_pg, _d);
            }
            double step0 = _pairs.Stored == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(TensorPrimitives.Dot<double>(_pg, _pg))) : 1.0;
            var (step, fNew) = _l1 is null
                ? _search.Search(F, _x, _f, _g, _d, step0, Noise(_f), _xt, _gt, _gLo)
                : ProjectedBacktracking(step0);
            return step == 0 ? double.NaN : fNew;
        }

        /// <summary>Moves to the trial point, stores the correction pair, and returns the averaged relative decrease.</summary>
        private double Accept(double fNew)
        {
            _pairs.Add(_x, _xt, _g, _gt);
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
    }
}

using Precision = Softmax.Engine.Precision;

namespace Softmax.Optimization;

/// <summary>The run's checkpoint: what it saves and how a resumed run picks up where it stopped.</summary>
public sealed partial class LbfgsSolver
{
    private sealed partial class Run
    {
        /// <summary>The run's state by name (docs/formats.md, "Solver state").</summary>
        private SolverState State()
        {
            var vectors = new Dictionary<string, double[]>(StringComparer.Ordinal)
            {
                [SolverState.ParametersName] = (double[])_x.Clone(), ["gradient"] = (double[])_g.Clone(),
                ["recent_f"] = (double[])_recent.Clone(),
            };
            var scalars = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["f"] = _f, ["arithmetic"] = (double)Arithmetic, ["window_start"] = _windowStart,
                ["best_gradient"] = _bestGradient, ["since_best_gradient"] = _sinceBestGradient,
            };
            _pairs.Save(vectors, scalars);
            return new SolverState(_solver.Name, _iter, 0, _evaluations, vectors, scalars, _context.History.ToArray());
        }

        private void Restore(SolverState state)
        {
            if (state.Solver != _solver.Name) throw new ArgumentException($"The checkpoint was written by {state.Solver}, not {_solver.Name}.");
            _pairs.Restore(state);
            foreach (var (name, into) in new[] { (SolverState.ParametersName, _x), ("gradient", _g), ("recent_f", _recent) }) state.CopyVector(name, into);
            _f = state.Scalar("f");
            _windowStart = (int)state.Scalar("window_start");
            (_bestGradient, _sinceBestGradient) = (state.Scalar("best_gradient"), (int)state.Scalar("since_best_gradient"));
            // A run that had moved to float64 resumes in float64.
            if ((Precision)(int)state.Scalar("arithmetic") == Precision.Float64) _objective.Loss.TrySetArithmetic(Precision.Float64);
            _evaluations = state.Evaluations;
            _iter = state.Iteration;
            _context.Restore(state);
        }
    }
}

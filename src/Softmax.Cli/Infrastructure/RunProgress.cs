using Softmax.Cli.Output;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// The one progress adapter of every training mode (in memory, streamed, distributed; CPU or GPU): a progress-bar
/// line per epoch (L-BFGS: iteration), the accepted parameters for the learning curves
/// (<see cref="TrainingProgress.CurrentParameters"/>, when a <see cref="ParameterTrail"/> is given), and the testing
/// aid that pauses after each report.
/// </summary>
/// <param name="options">The options of the run the adapter is for.</param>
public sealed class RunProgress(TrainingOptions options)
{
    private readonly bool _lbfgs = options.Solver == SolverKind.Lbfgs;
    private readonly int _total = options.Solver == SolverKind.Lbfgs ? options.Lbfgs.MaxIterations : options.MiniBatch.Epochs;

    /// <summary>Where the accepted parameters go, or null when no curves are drawn.</summary>
    public ParameterTrail? Trail { get; init; }

    /// <summary>Testing aid: sleep this long after each report, so a test can kill the process mid-run.</summary>
    public int DelayMs { get; init; }

    /// <summary>Runs <paramref name="fit"/> under a progress bar titled <paramref name="label"/>, fed by its reports.</summary>
    public TrainingResult Run(Ui ui, string label, Func<IProgress<TrainingProgress>, TrainingResult> fit)
    {
        ArgumentNullException.ThrowIfNull(ui);
        ArgumentNullException.ThrowIfNull(fit);
        return ui.WithProgress(label, bar =>
        {
            var progress = new SyncProgress<TrainingProgress>(p =>
            {
                int step = _lbfgs ? p.Iteration : p.Epoch;   // L-BFGS counts iterations, the mini-batch solvers epochs
                if (Trail is not null && p.CurrentParameters is { } current) Trail.Offer(step, current);
                string val = p.ValidationAccuracy is { } va ? $" val_acc {Ui.F(va, "F4")}" : "";
                bar.Update(step, _total, $"{(_lbfgs ? "iter" : "epoch")} {step}{(_lbfgs ? $" ({p.Evaluations} evaluations)" : "")} loss {Ui.F(p.Loss, "G8")}{val}");
                if (DelayMs > 0) Thread.Sleep(DelayMs);
            });
            var result = fit(progress);
            int last = _lbfgs ? result.Solver.Iterations : result.Solver.Epochs;
            bar.Update(last, last, $"done: {result.Solver.Reason}, F {Ui.F(result.Objective, "G10")}", force: true);
            return result;
        });
    }
}

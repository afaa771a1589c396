namespace Softmax.Optimization;

/// <summary>Settings of <see cref="LbfgsSolver"/> (and of OWL-QN, which it becomes when λ1 &gt; 0).</summary>
public sealed record LbfgsOptions
{
    /// <summary>Correction pairs kept (m).</summary>
    public int History { get; init; } = 10;
    /// <summary>Iteration limit.</summary>
    public int MaxIterations { get; init; } = 1000;
    /// <summary>
    /// The gradient test (the CLI's <c>--tol</c>): converged when ‖∇F‖∞ ≤ this, the largest entry of the gradient of F
    /// (a mean over rows, so no scaling by N), or of the OWL-QN pseudo-gradient with λ1 &gt; 0. It is scikit-learn's
    /// <c>tol</c> for <c>LogisticRegression(solver="lbfgs")</c> (its <c>gtol</c> on the same mean objective).
    /// </summary>
    public double GradientTolerance { get; init; } = 1e-6;
    /// <summary>
    /// Optional: stop when the relative decrease per iteration, averaged over the last <see cref="LbfgsSolver.RelativeWindow"/>
    /// iterations, (F_{k−5} − F_k) / (5·max(|F_{k−5}|, |F_k|, 1)), falls below this. 0 (the default) turns it off:
    /// the gradient test alone decides.
    /// </summary>
    public double RelativeTolerance { get; init; }
    /// <summary>Function evaluations allowed per line search.</summary>
    public int MaxLineSearchSteps { get; init; } = 25;
    /// <summary>
    /// Optimise in centred and scaled coordinates (a change of variables that leaves F and its optimum unchanged;
    /// see docs/derivation.md). It cuts the iterations on raw pixels several-fold.
    /// </summary>
    public bool Precondition { get; init; } = true;

    /// <summary>Checks the settings once.</summary>
    public LbfgsOptions Validate()
    {
        if (History < 1) throw new ArgumentOutOfRangeException(nameof(History), "History must be at least 1.");
        if (MaxIterations < 0) throw new ArgumentOutOfRangeException(nameof(MaxIterations), "MaxIterations must be ≥ 0.");
        if (!(GradientTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(GradientTolerance));
        if (!(RelativeTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(RelativeTolerance));
        if (MaxLineSearchSteps < 1) throw new ArgumentOutOfRangeException(nameof(MaxLineSearchSteps));
        return this;
    }
}

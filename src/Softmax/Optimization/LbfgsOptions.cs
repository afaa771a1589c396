namespace Softmax.Optimization;

/// <summary>Settings of <see cref="LbfgsSolver"/> (and of OWL-QN, which it becomes when λ1 &gt; 0).</summary>
public sealed record LbfgsOptions
{
    /// <summary>
    /// Correction pairs kept (m); null (the default) chooses <see cref="HistoryFor"/> the problem: 40 where the pairs
    /// take at most 64 MiB, fewer (down to 10) on larger problems, and 10 for OWL-QN (λ1 &gt; 0).
    /// </summary>
    public int? History { get; init; }

    /// <summary>The most pairs the default history keeps; on Fashion-MNIST 40 pairs take 214 passes to F within 1e-6 of F*, 10 pairs 273.</summary>
    public const int MaxDefaultHistory = 40;

    /// <summary>
    /// The history used for a problem with <paramref name="dimension"/> parameters: <see cref="History"/>, or the default
    /// rule. OWL-QN keeps 10: with 20 or 40 pairs its orthant-projected steps zig-zagged at a pseudo-gradient of ~1e-8
    /// on a small L1 problem that 10 pairs solve to 1e-12.
    /// </summary>
    public int HistoryFor(int dimension, bool l1 = false)
    {
        if (History is { } m) return m;
        if (l1) return 10;
        long budget = 64L << 20;   // bytes for the 2m vectors of float64
        long fit = budget / (16L * Math.Max(dimension, 1));
        return (int)Math.Clamp(fit, 10, MaxDefaultHistory);
    }
    /// <summary>Iteration limit.</summary>
    public int MaxIterations { get; init; } = 1000;
    /// <summary>
    /// The gradient test (the CLI's <c>--tol</c>): converged when ‖∇F‖∞ ≤ this, the largest entry of the gradient of F
    /// with respect to θ = (W, b) (F is a mean over rows, so no scaling by N), or of the OWL-QN pseudo-gradient with
    /// λ1 &gt; 0, whatever coordinates the solver works in; each ∂F/∂W_cd is divided by max(1, RMS of feature d) of the
    /// (preprocessed) training rows, because its float64 rounding grows with |x_d|. On data with RMS ≤ 1 per feature
    /// (standardized, pixels/255: the defaults) this is exactly scikit-learn's <c>tol</c> for
    /// <c>LogisticRegression(solver="lbfgs")</c> (its <c>gtol</c> on the same mean objective).
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
        if (History is < 1) throw new ArgumentOutOfRangeException(nameof(History), "History must be at least 1.");
        if (MaxIterations < 0) throw new ArgumentOutOfRangeException(nameof(MaxIterations), "MaxIterations must be ≥ 0.");
        if (!(GradientTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(GradientTolerance));
        if (!(RelativeTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(RelativeTolerance));
        if (MaxLineSearchSteps < 1) throw new ArgumentOutOfRangeException(nameof(MaxLineSearchSteps));
        return this;
    }
}

using Softmax.Engine;
using Softmax.Optimization;
using Xunit.Abstractions;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Optimization;

/// <summary>
/// Layer 4: every solver reaches the same optimum of a small strongly convex problem (200 × 10, C = 3, λ2 = 1e-2,
/// float64 reference loss), compared with L-BFGS run to ‖g‖∞ ≤ 1e-10; OWL-QN against a float64 proximal-gradient
/// (FISTA) reference written here.
/// </summary>
public class SolverConvergenceTests(ITestOutputHelper output)
{
    private const double L2 = 1e-2;
    private static readonly Softmax.Data.Dataset Problem = Separable(200, 10, 3, seed: 42);

    private static SoftmaxObjective Objective(double l2 = L2, double l1 = 0) => new(new ReferenceSoftmaxLoss(Problem), l2, l1);

    private static readonly Lazy<SolverResult> Optimum = new(() =>
        new LbfgsSolver(new LbfgsOptions { GradientTolerance = 1e-10, RelativeTolerance = 0, MaxIterations = 2000, Precondition = false })
            .Minimize(Objective(), new double[33], new SolverContext()));

    [Fact]
    public void Lbfgs_reaches_a_stationary_point_with_and_without_preconditioning()
    {
        var opt = Optimum.Value;
        var objective = Objective();
        var g = new double[objective.Dimension];
        double f = objective.ValueAndGradient(opt.Theta, g);
        output.WriteLine($"L-BFGS: F* = {f:R}, ‖g‖∞ = {InfNorm(g):E2}, {opt.Iterations} iterations, {opt.Reason}");
        Assert.True(InfNorm(g) <= 1e-8, $"‖g‖∞ = {InfNorm(g):E2} ({opt.Reason})");
        var pre = new LbfgsSolver(new LbfgsOptions { GradientTolerance = 1e-10, RelativeTolerance = 0 }, FeatureMoments.Compute(Problem.Features))
            .Minimize(objective, new double[33], new SolverContext());
        output.WriteLine($"preconditioned L-BFGS: F = {pre.Value:R}, {pre.Iterations} iterations, {pre.Reason}");
        Assert.True(Relative(objective.Value(pre.Theta), f) <= 1e-12);
    }

    public static TheoryData<string> MiniBatchSolvers() => new() { "sgd", "sgd-momentum", "sgd-nesterov", "adam" };

    private static ISolver Make(string name, MiniBatchOptions o) => name switch
    {
        "sgd" => new MiniBatchSolver(new SgdRule(), o),
        "sgd-momentum" => new MiniBatchSolver(new SgdRule(momentum: 0.9), o with { LearningRate = o.LearningRate / 10 }),
        "sgd-nesterov" => new MiniBatchSolver(new SgdRule(momentum: 0.9, nesterov: true), o with { LearningRate = o.LearningRate / 10 }),
        _ => new MiniBatchSolver(new AdamRule(), o with { LearningRate = 0.05 }),
    };

    [Theory]
    [MemberData(nameof(MiniBatchSolvers))]
    public void Mini_batch_solvers_reach_the_lbfgs_optimum(string name)
    {
        // Mini-batches of 50 with a step decay: η·0.5^⌊epoch/60⌋ over 900 epochs ends at η·2^-14.
        var options = new MiniBatchOptions { LearningRate = 1.0, BatchSize = 50, Epochs = 900, Schedule = new StepSchedule(60, 0.5), Seed = 1 };
        var result = Make(name, options).Minimize(Objective(), new double[33], new SolverContext());
        double fStar = Optimum.Value.Value, f = Objective().Value(result.Theta);
        output.WriteLine($"{name}: F = {f:R}, F* = {fStar:R}, relative gap {(f - fStar) / fStar:E2}");
        Assert.True(f >= fStar - 1e-12 * fStar, "below the optimum: L-BFGS did not converge");
        Assert.True(Relative(f, fStar) <= 1e-5, $"{name}: F = {f:R} vs F* = {fStar:R} ({Relative(f, fStar):E2})");
    }

    /// <summary>Proximal gradient with Nesterov acceleration and restarts; soft-thresholding on W only.</summary>
    private static (double[] Theta, double F) Fista(SoftmaxObjective smooth, double l1, int iterations)
    {
        int n = smooth.Dimension, m = smooth.WeightCount;
        var x = new double[n]; var y = new double[n]; var xPrev = new double[n]; var g = new double[n]; var trial = new double[n];
        double L = 1, t = 1;
        double Total(double[] v) { double s = smooth.Value(v); for (int i = 0; i < m; i++) s += l1 * Math.Abs(v[i]); return s; }
        double fx = Total(x);
        for (int k = 0; k < iterations; k++)
        {
            double fy = smooth.ValueAndGradient(y, g);
            while (true)
            {
                for (int i = 0; i < n; i++)
                {
                    double v = y[i] - g[i] / L;
                    trial[i] = i < m ? Math.Sign(v) * Math.Max(Math.Abs(v) - l1 / L, 0) : v;
                }
                double quad = fy;
                for (int i = 0; i < n; i++) quad += g[i] * (trial[i] - y[i]) + 0.5 * L * (trial[i] - y[i]) * (trial[i] - y[i]);
                if (smooth.Value(trial) <= quad + 1e-15) break;
                L *= 2;
            }
            double ft = Total(trial);
            x.CopyTo(xPrev, 0);
            trial.CopyTo(x, 0);
            double tNext = (1 + Math.Sqrt(1 + 4 * t * t)) / 2;
            if (ft > fx) { tNext = 1; xPrev.CopyTo(y, 0); x.CopyTo(y, 0); }   // restart
            else for (int i = 0; i < n; i++) y[i] = x[i] + (t - 1) / tNext * (x[i] - xPrev[i]);
            t = tNext;
            fx = ft;
            L /= 1.5;
        }
        return (x, fx);
    }

    [Theory]
    [InlineData(0.0, 0.02), InlineData(1e-2, 0.01), InlineData(1e-3, 0.05)]
    public void Owlqn_matches_a_proximal_gradient_reference_and_is_sparse(double l2, double l1)
    {
        var objective = Objective(l2, l1);
        var owl = new LbfgsSolver(new LbfgsOptions { GradientTolerance = 1e-10, RelativeTolerance = 1e-14, MaxIterations = 2000, Precondition = false })
            .Minimize(objective, new double[33], new SolverContext());
        var pre = new LbfgsSolver(new LbfgsOptions { GradientTolerance = 1e-10, RelativeTolerance = 1e-14, MaxIterations = 2000 }, FeatureMoments.Compute(Problem.Features))
            .Minimize(objective, new double[33], new SolverContext());
        var (refTheta, fRef) = Fista(Objective(l2), l1, 20000);
        double f = objective.Value(owl.Theta), fPre = objective.Value(pre.Theta);
        int zeros = owl.Theta.Take(30).Count(v => v == 0), refZeros = refTheta.Take(30).Count(v => v == 0);
        output.WriteLine($"λ2={l2} λ1={l1}: OWL-QN F = {f:R} ({owl.Iterations} it, {owl.Reason}), preconditioned {fPre:R}, FISTA F = {fRef:R}; zeros in W: OWL-QN {zeros}/30, FISTA {refZeros}/30");
        Assert.True(Relative(f, fRef) <= 1e-5, $"OWL-QN F {f:R} vs reference {fRef:R}");
        Assert.True(Relative(fPre, fRef) <= 1e-5, $"preconditioned OWL-QN F {fPre:R} vs reference {fRef:R}");
        Assert.True(refZeros > 0, "the reference optimum should be sparse at this λ1");
        Assert.True(zeros > 0, "OWL-QN produced no exact zeros");
        Assert.True(Math.Abs(zeros - refZeros) <= 2, $"zeros: OWL-QN {zeros}, reference {refZeros}");
    }
}

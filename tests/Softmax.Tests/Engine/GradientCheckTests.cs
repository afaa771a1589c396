using Softmax.Data;
using Softmax.Engine;
using Xunit.Abstractions;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Engine;

/// <summary>Layer 3: the analytic gradient against central differences, and the check's power to find a wrong one.</summary>
public class GradientCheckTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int, double> Shapes() => new()
    {
        { 1, 1, 2, 0 }, { 20, 1, 2, 1e-2 }, { 30, 5, 3, 0 }, { 30, 5, 3, 1e-1 },
        { 50, 17, 10, 0 }, { 50, 17, 10, 1e-3 }, { 40, 33, 4, 1e-2 }, { 150, 3, 25, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float64_reference_gradient_matches_central_differences(int rows, int features, int classes, double l2)
    {
        var data = Dense(rows, features, classes, seed: rows * 31 + features);
        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), l2);
        double worst = 0;
        for (int point = 0; point < 3; point++)
        {
            // Scores of standard deviation 0.3, 0.6, 0.9: F stays O(log C). The check's absolute error is about
            // ε·F/h (rounding) and the formula divides it by |g_k|; with the library's fourth-order stencil (h = 1e-3)
            // that is ~1e-13 / |g_k|, so 1e-7 holds down to |g_k| ~ 1e-6. (The earlier two-point stencil with h = 1e-5
            // failed here at shape (40, 33, 4), a coordinate with |g_k| = 2.9e-5.)
            var theta = Theta(classes, features, seed: 1000 + point, scale: 0.3 * (point + 1) / Math.Sqrt(features));
            var result = GradientCheck.Run(objective, theta);
            Assert.Equal(objective.Dimension, result.Checked);
            var g = new double[objective.Dimension];
            objective.ValueAndGradient(theta, g);
            Assert.True(result.MaxRelativeError < 1e-7, $"point {point}: max relative error {result.MaxRelativeError:E2} at θ[{result.WorstCoordinate}] = {theta[result.WorstCoordinate]}, g = {g[result.WorstCoordinate]:E3}, |g|inf = {InfNorm(g):E3}, F = {objective.Value(theta)}");
            worst = Math.Max(worst, result.MaxRelativeError);
        }
        output.WriteLine($"N={rows} D={features} C={classes} λ2={l2}: max relative error {worst:E2}");
    }

    /// <summary>
    /// An independent re-implementation, at points with larger scores (F up to ~15), of the five-point stencil (−F(θ+2h) + 8F(θ+h) − 8F(θ−h) + F(θ−2h)) / 12h, h = 1e-3:
    /// truncation O(h⁴) ≈ 1e-12 and rounding ≈ ε·F/h ≈ 1e-13, so even coordinates with |g_k| ~ 1e-5 and points with
    /// large F are checked to 1e-7.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float64_reference_gradient_matches_five_point_differences_everywhere(int rows, int features, int classes, double l2)
    {
        var data = Dense(rows, features, classes, seed: rows * 31 + features);
        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), l2);
        double worst = 0;
        for (int point = 0; point < 3; point++)
        {
            var theta = Theta(classes, features, seed: 2000 + point, scale: 0.5 + point);
            var g = new double[objective.Dimension];
            objective.ValueAndGradient(theta, g);
            var t = (double[])theta.Clone();
            for (int k = 0; k < t.Length; k++)
            {
                double h = 1e-3 * Math.Max(1, Math.Abs(theta[k]));
                double F(double delta) { t[k] = theta[k] + delta; double v = objective.Value(t); t[k] = theta[k]; return v; }
                double numeric = (-F(2 * h) + 8 * F(h) - 8 * F(-h) + F(-2 * h)) / (12 * h);
                double err = GradientCheck.RelativeError(g[k], numeric);
                Assert.True(err < 1e-7, $"point {point}, θ[{k}]: analytic {g[k]:E6}, numeric {numeric:E6}, relative error {err:E2}");
                worst = Math.Max(worst, err);
            }
        }
        output.WriteLine($"N={rows} D={features} C={classes} λ2={l2}: five-point max relative error {worst:E2}");
    }

    [Fact]
    public void Sparse_check_samples_the_requested_number_of_coordinates()
    {
        var data = Dense(60, 40, 10, seed: 2);
        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), 1e-3);
        var theta = Theta(10, 40, seed: 3);
        var result = GradientCheck.Run(objective, theta, checks: 25, seed: 4);
        Assert.Equal(25, result.Checked);
        Assert.True(result.MaxRelativeError < 1e-7, $"{result.MaxRelativeError:E2}");
    }

    /// <summary>
    /// The float32 engine's F carries rounding noise of about 1e-7 relative, which differences amplify by 1/h.
    /// With a step of 1e-2 (fourth-order truncation error ~h⁴ ~ 1e-8, noise ~1e-7/h ~ 1e-5)
    /// the documented bound is: median relative error &lt; 1e-4, max &lt; 5e-3 (measured: median ~6e-6, max ~5e-4).
    /// </summary>
    [Theory]
    [InlineData(200, 17, 10, 0.0), InlineData(300, 64, 3, 1e-3)]
    public void Float32_engine_gradient_matches_central_differences_loosely(int rows, int features, int classes, double l2)
    {
        var data = Dense(rows, features, classes, seed: 5);
        var objective = new SoftmaxObjective(new CpuSoftmaxLoss(data, new(1)), l2);
        var theta = Theta(classes, features, seed: 6);
        var result = GradientCheck.Run((t, g) => objective.ValueAndGradient(t, g), t => objective.Value(t), theta, step: 1e-2);
        output.WriteLine($"float32 engine: max {result.MaxRelativeError:E2}, median {result.MedianRelativeError:E2}");
        Assert.True(result.MedianRelativeError < 1e-4, $"median {result.MedianRelativeError:E2}");
        Assert.True(result.MaxRelativeError < 5e-3, $"max {result.MaxRelativeError:E2}");
    }

    [Theory]
    [InlineData(0), InlineData(7), InlineData(23)]
    public void A_wrong_gradient_is_detected(int wrong)
    {
        var data = Dense(30, 5, 4, seed: 8);
        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), 1e-2);
        var theta = Theta(4, 5, seed: 9);
        double ScaledOne(double[] t, double[] g)
        {
            double f = objective.ValueAndGradient(t, g);
            g[wrong] *= 1.01;
            return f;
        }
        var result = GradientCheck.Run(ScaledOne, t => objective.Value(t), theta);
        // |1.01a − a| / (|1.01a| + |a|) = 0.01 / 2.01 ≈ 5e-3, far above the 1e-7 a correct gradient reaches.
        Assert.Equal(wrong, result.WorstCoordinate);
        Assert.InRange(result.MaxRelativeError, 4e-3, 6e-3);
        Assert.True(result.MedianRelativeError < 1e-7);
    }

    [Fact]
    public void Relative_error_is_symmetric_and_guards_zero()
    {
        Assert.Equal(0, GradientCheck.RelativeError(0, 0));
        Assert.Equal(1.0 / 3, GradientCheck.RelativeError(1, 2), 1e-15);
        Assert.Equal(GradientCheck.RelativeError(2, 1), GradientCheck.RelativeError(1, 2));
        Assert.Equal(1e-8, GradientCheck.RelativeError(1e-20, 0), 1e-20);   // below Tiny the denominator is 1e-12
    }
}

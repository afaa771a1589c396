using CsCheck;
using Softmax.Engine;

namespace Softmax.Tests.Engine;

/// <summary>Layer 1: hand-computed values of the stable softmax pieces, including extreme scores.</summary>
public class StableMathTests
{
    private static readonly double[] Extreme = [10000, 0, 7e-7];

    [Fact]
    public void Extreme_scores_give_exact_cross_entropies()
    {
        // logsumexp = 10000 + log(1 + e^-10000 + e^(7e-7 - 10000)) = 10000 exactly in float64.
        Assert.Equal(10000.0, StableMath.LogSumExp(Extreme));
        Assert.Equal(0.0, StableMath.CrossEntropy(Extreme, 0));
        Assert.Equal(10000.0, StableMath.CrossEntropy(Extreme, 1));
        Assert.Equal(9999.9999993, StableMath.CrossEntropy(Extreme, 2), 1e-9);
    }

    [Fact]
    public void Extreme_scores_give_one_hot_probabilities_without_nan()
    {
        var p = new double[3];
        StableMath.Softmax(Extreme, p);
        Assert.Equal([1.0, 0.0, 0.0], p);
        var lp = new double[3];
        StableMath.LogSoftmax(Extreme, lp);
        Assert.Equal(0.0, lp[0]);
        Assert.Equal(-10000.0, lp[1]);
        Assert.Equal(-9999.9999993, lp[2], 1e-9);

        Span<float> f = [10000f, 0f, 7e-7f];
        StableMath.SoftmaxInPlace(f);
        Assert.Equal(1f, f[0]);
        Assert.Equal(0f, f[1]);
        Assert.Equal(0f, f[2]);
    }

    [Fact]
    public void Small_scores_match_hand_computed_values()
    {
        // log(e + e² + e³) = 3 + log(1 + e^-1 + e^-2) = 3.4076059644443806
        double[] o = [1, 2, 3];
        Assert.Equal(3.4076059644443806, StableMath.LogSumExp(o), 1e-15);
        var p = new double[3];
        StableMath.Softmax(o, p);
        Assert.Equal(0.09003057317038046, p[0], 1e-16);
        Assert.Equal(0.24472847105479764, p[1], 1e-16);
        Assert.Equal(0.6652409557748219, p[2], 1e-15);
        Assert.Equal(2.4076059644443806, StableMath.CrossEntropy(o, 0), 1e-15);
        // Two equal scores: −log ½ = log 2, whatever their size.
        Assert.Equal(Math.Log(2), StableMath.CrossEntropy([-10000, -10000], 1), 1e-12);
        Assert.Equal(-10000 + Math.Log(2), StableMath.LogSumExp([-10000, -10000]), 1e-12);
        Span<float> half = [1000f, 1000f];
        StableMath.SoftmaxInPlace(half);
        Assert.Equal(0.5f, half[0]);
        Assert.Equal(0.5f, half[1]);
    }

    [Fact]
    public void Softmax_sums_to_one_and_log_softmax_is_its_log()
    {
        Gen.Double[-1e4, 1e4].Array[1, 40].Sample(o =>
        {
            var p = new double[o.Length];
            var lp = new double[o.Length];
            StableMath.Softmax(o, p);
            StableMath.LogSoftmax(o, lp);
            Assert.Equal(1.0, p.Sum(), 1e-12);
            for (int c = 0; c < o.Length; c++)
            {
                Assert.False(double.IsNaN(p[c]) || double.IsNaN(lp[c]));
                Assert.True(lp[c] <= 1e-12);
                Assert.Equal(p[c], Math.Exp(lp[c]), 1e-12);
                Assert.Equal(-lp[c], StableMath.CrossEntropy(o, c), 1e-9);
            }
        });
    }
}

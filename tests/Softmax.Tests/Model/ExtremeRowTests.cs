using Softmax.Data;
using Softmax.Model;

namespace Softmax.Tests.Model;

/// <summary>Finite float32 rows near the end of the float range: every prediction path stays finite and matches float64.</summary>
public class ExtremeRowTests
{
    /// <summary>The naive float64 reference: preprocess, W x + b, softmax, all in double, from θ rounded to float32 as the model scores.</summary>
    private static double[] Reference(SoftmaxModel m, ReadOnlySpan<float> row)
    {
        var pre = m.Preprocessor;
        var o = new double[m.Classes];
        for (int c = 0; c < m.Classes; c++)
        {
            double s = (float)m.Bias(c);
            for (int d = 0; d < m.Features; d++)
            {
                double x = row[d] * (double)pre.Scale;
                if (pre.Mean is { } mean) x -= mean[d];
                if (pre.InverseStd is { } inv) x *= inv[d];
                s += (float)m.Weight(c, d) * x;
            }
            o[c] = s;
        }
        double max = o.Max(), sum = o.Sum(v => Math.Exp(v - max));
        return o.Select(v => Math.Exp(v - max) / sum).ToArray();
    }

    private static IEnumerable<float[]> HostileRows(int d, int seed)
    {
        var rng = new Random(seed);
        float[] big = [3e38f, float.MaxValue, -float.MaxValue, 1e20f, -1e30f, 0f, float.Epsilon, 1f];
        for (int i = 0; i < 60; i++)
            yield return Enumerable.Range(0, d).Select(_ => rng.Next(3) == 0 ? (float)rng.NextDouble() : big[rng.Next(big.Length)]).ToArray();
        yield return Enumerable.Repeat(float.MaxValue, d).ToArray();
        yield return Enumerable.Repeat(-float.MaxValue, d).ToArray();
    }

    public static TheoryData<int> Preprocessings => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Preprocessings))]
    public void Every_path_is_finite_and_matches_float64(int kind)
    {
        const int C = 4, D = 5;
        var rng = new Random(kind);
        var theta = Enumerable.Range(0, C * D + C).Select(_ => rng.NextDouble() * 6 - 3).ToArray();
        float[] V(double scale) => Enumerable.Range(0, D).Select(_ => (float)(rng.NextDouble() * scale)).ToArray();
        var pre = new Preprocessor((PreprocessKind)kind, 0.5f, kind >= 2 ? V(1e38) : null, kind == 3 ? V(1e3) : null);
        var m = new SoftmaxModel(theta, ["a", "b", "c", "d"], D, pre);
        var rows = HostileRows(D, kind).ToArray();
        var x = new DenseMatrix(rows.Length, D);
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(x.Row(i));
        var data = new Dataset(x, new int[rows.Length], ["a", "b", "c", "d"]);
        var batch = m.PredictProba(data);
        var labels = m.Predict(data);
        var scores = m.DecisionFunction(data);
        var p = new float[C];
        for (int i = 0; i < rows.Length; i++)
        {
            var expected = Reference(m, rows[i]);
            m.PredictProba(rows[i], p);
            var log = m.PredictLogProba(rows[i]);
            for (int c = 0; c < C; c++)
            {
                Assert.Equal(expected[c], p[c], 1e-6);
                Assert.Equal(expected[c], batch[i * C + c], 1e-6);
                Assert.False(double.IsNaN(log[c]), $"row {i}: log p[{c}] is NaN");
                Assert.Equal(expected[c], Math.Exp(log[c]), 1e-6);
                Assert.False(float.IsNaN(scores[i * C + c]), $"row {i}: score {c} is NaN");
            }
            int best = Array.IndexOf(expected, expected.Max());
            Assert.Equal(expected[best], expected[m.Predict(rows[i])], 1e-12);
            Assert.Equal(expected[best], expected[labels[i]], 1e-12);
        }
    }

    [Fact]
    public void Scores_that_overflow_float32_at_opposite_ends_give_the_exact_answer()
    {
        // o = ±(x0 + x1) = ±6e38 overflows float32 in both classes: ∞ − ∞ used to make both probabilities NaN.
        var m = new SoftmaxModel([1, 1, -1, -1, 0, 0], ["up", "down"], 2);
        float[] row = [3e38f, 3e38f];
        Assert.Equal([1f, 0f], m.PredictProba(row));
        Assert.Equal(0, m.Predict(row));
        var log = m.PredictLogProba(row);
        Assert.Equal(0, log[0]);
        Assert.Equal(-2 * (3e38f + (double)3e38f), log[1], 1e30);
        var scores = new float[2];
        m.DecisionFunction(row, scores);
        Assert.Equal([float.PositiveInfinity, float.NegativeInfinity], scores);   // beyond float32, but never NaN
        // Products that overflow float32 and cancel: 2·3e38 − 2·3e38 + 1 = 1 in float64 (∞ − ∞ = NaN in float32).
        var n = new SoftmaxModel([2, -2, 1, 0, 0, 0, 0, 0, 0, 0], ["x", "y"], 4);
        float[] cancel = [3e38f, 3e38f, 1, 0];
        var p = n.PredictProba(cancel);
        Assert.Equal(Math.E / (1 + Math.E), p[0], 1e-6);
        Assert.Equal(1 / (1 + Math.E), p[1], 1e-6);
        n.DecisionFunction(cancel, scores);
        Assert.Equal([1f, 0f], scores);
        Assert.Equal(Math.Log(Math.E / (1 + Math.E)), n.PredictLogProba(cancel)[0], 1e-12);
    }
}

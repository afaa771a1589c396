using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;

namespace Softmax.Tests.Model;

/// <summary>The prediction entry points agree with each other and with a float64 evaluation written here.</summary>
public class SoftmaxModelTests
{
    private static readonly Lazy<SoftmaxModel> Model = new(ModelFixtures.Trained);
    private static readonly Dataset Test = ModelFixtures.Data(rows: 397).Slice(300, 97);   // held-out rows of the same problem

    private static float[] Row(int i)
    {
        var r = new float[Test.FeatureCount];
        Test.Features.CopyRow(i, r);
        return r;
    }

    [Theory]
    [InlineData(64), InlineData(700), InlineData(3072)]
    public void Block_scores_with_ten_classes_match_single_rows(int features)
    {
        // Ten classes take the forward tiles' row-major path (two rows' scores in two vector stores), odd row counts
        // the tile's single-row path; one row at a time is the other entry point.
        foreach (int rows in new[] { 1, 3, 257, 513 })
        {
            var data = Engine.TestProblems.Dense(rows, features, 10, seed: rows + features);
            var model = new SoftmaxModel(Engine.TestProblems.Theta(10, features, seed: 2, scale: 0.1), Engine.TestProblems.Names(10), features);
            var batch = model.DecisionFunction(data);
            var single = new float[10];
            var x = new float[features];
            for (int i = 0; i < rows; i++)
            {
                data.Features.CopyRow(i, x);
                model.DecisionFunction(x, single);
                for (int c = 0; c < 10; c++)
                    Assert.True(Math.Abs(single[c] - batch[i * 10 + c]) <= 1e-4f * Math.Max(1, Math.Abs(single[c])),
                        $"D={features} N={rows} row {i} class {c}: {batch[i * 10 + c]} vs {single[c]}");
            }
        }
    }

    [Fact]
    public void Scores_equal_W_times_preprocessed_x_plus_b_in_float64()
    {
        var m = Model.Value;
        var pre = m.Preprocessor;
        Assert.Equal(PreprocessKind.Standardize, pre.Kind);
        var batch = m.DecisionFunction(Test);
        var single = new float[m.Classes];
        for (int i = 0; i < Test.Rows; i++)
        {
            var x = Row(i);
            m.DecisionFunction(x, single);
            for (int c = 0; c < m.Classes; c++)
            {
                double o = m.Bias(c);
                for (int d = 0; d < m.Features; d++) o += m.Weight(c, d) * ((x[d] * (double)pre.Scale - pre.Mean![d]) * pre.InverseStd![d]);
                Assert.Equal(o, single[c], 1e-4 * Math.Max(1, Math.Abs(o)));
                Assert.Equal(single[c], batch[i * m.Classes + c], 1e-5f * Math.Max(1, Math.Abs(single[c])));
            }
        }
    }

    [Fact]
    public void Probabilities_log_probabilities_top_k_and_labels_agree()
    {
        var m = Model.Value;
        var batchP = m.PredictProba(Test);
        var batchY = m.Predict(Test);
        var scores = new float[m.Classes];
        for (int i = 0; i < Test.Rows; i++)
        {
            var x = Row(i);
            var p = m.PredictProba(x);
            var logp = m.PredictLogProba(x);
            m.DecisionFunction(x, scores);
            var o = scores.Select(s => (double)s).ToArray();
            var expected = new double[m.Classes];
            StableMath.Softmax(o, expected);
            Assert.Equal(1.0, p.Sum(v => (double)v), 1e-6);
            for (int c = 0; c < m.Classes; c++)
            {
                Assert.Equal(expected[c], p[c], 1e-6);
                Assert.Equal(p[c], batchP[i * m.Classes + c], 1e-6);
                Assert.Equal(Math.Exp(logp[c]), p[c], 1e-6);
                if (p[c] > 1e-3) Assert.Equal(Math.Log(p[c]), logp[c], 1e-5);
                Assert.True(logp[c] <= 0);
            }
            int y = m.Predict(x);
            Assert.Equal(batchY[i], y);
            Assert.Equal(Array.IndexOf(p, p.Max()), y);
            Assert.Equal(ModelFixtures.Labels[y], m.PredictLabel(x));
            var top = SoftmaxModel.TopKOf(p, 3);
            Assert.Equal(3, top.Length);
            Assert.Equal(y, top[0].Class);
            for (int k = 0; k < top.Length; k++) Assert.Equal(p[top[k].Class], top[k].Probability);
            for (int k = 1; k < top.Length; k++) Assert.True(top[k - 1].Probability >= top[k].Probability);
            Assert.Equal(m.Classes, SoftmaxModel.TopKOf(p, 99).Length);
        }
    }

    [Fact]
    public void Top_k_breaks_ties_by_lower_class()
    {
        var top = SoftmaxModel.TopKOf([0.2f, 0.4f, 0.4f, 0f], 4);
        Assert.Equal([1, 2, 0, 3], top.Select(t => t.Class));
    }

    [Fact]
    public void Score_is_the_fraction_of_correct_predictions()
    {
        var m = Model.Value;
        int right = 0;
        for (int i = 0; i < Test.Rows; i++) if (m.Predict(Row(i)) == Test.Labels[i]) right++;
        Assert.Equal(right / (double)Test.Rows, m.Score(Test));
        Assert.True(m.Score(Test) > 0.5, "the fixture is learnable; a trained model should beat chance (0.25) clearly");
    }

    [Fact]
    public void A_wrong_feature_count_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Model.Value.Predict(new float[5]));
        Assert.Contains("12", e.Message);
    }
}

using Softmax.Data;
using Softmax.Model;

namespace Softmax.Tests.Model;

public class CrossValidationTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(7)]
    public void Stratified_folds_put_every_row_in_one_fold_and_split_each_class_evenly(int k)
    {
        var data = NamedDatasets.LoadDigits();
        var fold = CrossValidation.StratifiedFolds(data, k, seed: 3);
        Assert.Equal(data.Rows, fold.Length);
        Assert.All(fold, f => Assert.InRange(f, 0, k - 1));
        for (int c = 0; c < data.ClassCount; c++)
        {
            var perFold = new int[k];
            for (int i = 0; i < data.Rows; i++) if (data.Labels[i] == c) perFold[fold[i]]++;
            Assert.True(perFold.Max() - perFold.Min() <= 1, $"class {c}: {string.Join(",", perFold)}");
        }
        Assert.Equal(fold, CrossValidation.StratifiedFolds(data, k, seed: 3));
        Assert.NotEqual(fold, CrossValidation.StratifiedFolds(data, k, seed: 4));
    }

    [Fact]
    public void Each_fold_scores_a_model_that_never_saw_its_rows()
    {
        var data = NamedDatasets.LoadDigits().Split(0.2, 0).Train;
        var options = new TrainingOptions { L2 = 2e-4 };
        var cv = CrossValidation.Run(data, options, 3);
        var fold = CrossValidation.StratifiedFolds(data, 3, options.Seed);
        for (int f = 0; f < 3; f++)
        {
            // Independently: fit on the other folds, score the held-out one with the model's own Score.
            var train = data.Take(Enumerable.Range(0, data.Rows).Where(i => fold[i] != f).ToArray());
            var held = data.Take(Enumerable.Range(0, data.Rows).Where(i => fold[i] == f).ToArray());
            var model = SoftmaxTrainer.Fit(train, options).Model;
            Assert.Equal(model.Score(held), cv.Folds[f].Accuracy, 12);
            Assert.Null(cv.Folds[f].Diverged);
        }
        Assert.InRange(cv.MeanAccuracy, 0.93, 1.0);
        Assert.False(cv.Diverged);
    }
}

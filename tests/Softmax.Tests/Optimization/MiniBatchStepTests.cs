using Softmax.Engine;
using Softmax.Optimization;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Optimization;

/// <summary>The pieces the in-memory, streamed and distributed mini-batch solvers share around their update rule.</summary>
public class MiniBatchStepTests
{
    [Fact]
    public void L1_step_soft_thresholds_the_weights_and_leaves_the_bias()
    {
        var data = Dense(10, 2, 2, seed: 1);
        var objective = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), l2: 0, l1: 0.5);
        // W = [[0.3, −0.05], [−0.3, 0.02]], b = [0.01, −0.01]; rate 0.2 → threshold 0.1.
        double[] theta = [0.3, -0.05, -0.3, 0.02, 0.01, -0.01];
        MiniBatchSolver.ApplyL1(objective, theta, rate: 0.2);
        double[] expected = [0.2, 0, -0.2, 0, 0.01, -0.01];
        for (int i = 0; i < theta.Length; i++) Assert.Equal(expected[i], theta[i], 1e-15);

        var plain = new SoftmaxObjective(new ReferenceSoftmaxLoss(data), l2: 0, l1: 0);
        double[] untouched = [0.3, -0.05, -0.3, 0.02, 0.01, -0.01];
        MiniBatchSolver.ApplyL1(plain, untouched, rate: 0.2);
        Assert.Equal([0.3, -0.05, -0.3, 0.02, 0.01, -0.01], untouched);
    }

    [Fact]
    public void A_non_finite_batch_loss_names_the_step_and_the_rate()
    {
        MiniBatchSolver.CheckLoss("sgd", 1.5, 1, 1, 0.1);
        var e = Assert.Throws<TrainingDivergedException>(() => MiniBatchSolver.CheckLoss("sgd", double.PositiveInfinity, 3, 7, 5));
        Assert.Contains("epoch 3, step 7", e.Message);
        Assert.Contains("learning rate 5 is too large", e.Message);
    }
}

using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>
/// What every mini-batch solver does around its update rule, whether its rows are in memory, streamed or spread over
/// ranks: the check that a batch loss is finite, and λ1's proximal step on W after each update.
/// </summary>
public static class MiniBatchStep
{
    /// <summary>
    /// The arithmetic of mini-batch steps: float64 when asked for, else float32 (the batch gradient's sampling noise is
    /// far above float32 rounding). The reported F is evaluated in float64 by the trainer either way.
    /// </summary>
    public static void UseArithmetic(ISoftmaxLoss loss, Precision asked)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (asked == Precision.Float64 && !loss.TrySetArithmetic(Precision.Float64))
            throw new NotSupportedException($"This engine ({loss.GetType().Name}) has no float64 arithmetic; use precision auto or float32.");
        if (asked != Precision.Float64) loss.TrySetArithmetic(Precision.Float32);
    }

    /// <summary>Throws <see cref="TrainingDivergedException"/> when <paramref name="batchLoss"/> is not finite, naming where and suggesting a smaller rate.</summary>
    public static void CheckLoss(string solver, double batchLoss, int epoch, long step, double rate)
    {
        if (!double.IsFinite(batchLoss))
            throw new TrainingDivergedException($"{solver}: the loss became {batchLoss} at epoch {epoch}, step {step}. The learning rate {rate:G3} is too large: try a smaller --lr.");
    }

    /// <summary>
    /// After a step at rate η: w ← sign(w)·max(|w| − η·λ1, 0) on the weights W (not the bias), the proximal step of
    /// the L1 penalty. Nothing when λ1 = 0.
    /// </summary>
    public static void ApplyL1(SoftmaxObjective objective, Span<double> theta, double rate)
    {
        ArgumentNullException.ThrowIfNull(objective);
        if (objective.L1 <= 0) return;
        double t = rate * objective.L1;
        var w = theta[..objective.WeightCount];
        for (int i = 0; i < w.Length; i++) w[i] = Math.Sign(w[i]) * Math.Max(Math.Abs(w[i]) - t, 0);
    }
}

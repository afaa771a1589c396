namespace Softmax.Engine;

/// <summary>
/// The numerically stable pieces of the softmax, in one place. Scores are shifted by their maximum before
/// exponentiation (softmax is shift-invariant), and log-probabilities come from log-sum-exp, never log(softmax).
/// </summary>
public static class StableMath
{
    /// <summary>log Σ_c exp(scores[c]), computed as m + log Σ exp(scores[c] − m) with m the maximum.</summary>
    public static double LogSumExp(ReadOnlySpan<double> scores)
    {
        if (scores.IsEmpty) throw new ArgumentException("At least one score is needed.", nameof(scores));
        double max = double.NegativeInfinity;
        foreach (var s in scores) max = Math.Max(max, s);
        if (double.IsNegativeInfinity(max)) return max;
        double sum = 0;
        foreach (var s in scores) sum += Math.Exp(s - max);
        return max + Math.Log(sum);
    }

    /// <summary>Writes softmax(scores) into <paramref name="probabilities"/>.</summary>
    public static void Softmax(ReadOnlySpan<double> scores, Span<double> probabilities)
    {
        double lse = LogSumExp(scores);
        for (int c = 0; c < scores.Length; c++) probabilities[c] = Math.Exp(scores[c] - lse);
    }

    /// <summary>Writes log softmax(scores) into <paramref name="logProbabilities"/>.</summary>
    public static void LogSoftmax(ReadOnlySpan<double> scores, Span<double> logProbabilities)
    {
        double lse = LogSumExp(scores);
        for (int c = 0; c < scores.Length; c++) logProbabilities[c] = scores[c] - lse;
    }

    /// <summary>Cross-entropy −log p_y = logsumexp(o) − o_y.</summary>
    public static double CrossEntropy(ReadOnlySpan<double> scores, int label) => LogSumExp(scores) - scores[label];

    /// <summary>Row-wise float32 softmax in place over rows of <paramref name="classes"/> scores, with one vectorised exp for all rows.</summary>
    public static void SoftmaxRows(Span<float> scores, int classes)
    {
        int rows = scores.Length / classes;
        for (int r = 0; r < rows; r++)
        {
            var row = scores.Slice(r * classes, classes);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, max, row);
        }
        System.Numerics.Tensors.TensorPrimitives.Exp(scores, scores);
        for (int r = 0; r < rows; r++)
        {
            var row = scores.Slice(r * classes, classes);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1f / System.Numerics.Tensors.TensorPrimitives.Sum(row), row);
        }
    }

    /// <summary>Float32 softmax in place, max-shifted.</summary>
    public static void SoftmaxInPlace(Span<float> scores)
    {
        float max = float.NegativeInfinity;
        foreach (var s in scores) max = MathF.Max(max, s);
        float sum = 0;
        for (int c = 0; c < scores.Length; c++) sum += scores[c] = MathF.Exp(scores[c] - max);
        float inv = 1f / sum;
        for (int c = 0; c < scores.Length; c++) scores[c] *= inv;
    }
}

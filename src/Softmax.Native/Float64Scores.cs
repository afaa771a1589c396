using System.Numerics.Tensors;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;

namespace Softmax.Native;

/// <summary>
/// Scores o = W x' + b of every row, accumulated in float64 from the stored float32 rows (x' = the model's
/// preprocessing of x), for decision_function, predict_proba and predict. The model's own block kernels score in
/// float32; the C and Python callers compare with float64 peers (scikit-learn), so they get float64 sums.
/// </summary>
internal static class Float64Scores
{
    private const int Chunk = 256;

    /// <summary>Scores (rows × C, row-major) into <paramref name="scores"/>; rows are independent of each other.</summary>
    public static void Compute(SoftmaxModel model, Dataset data, Span<double> scores) => Compute(model, data, scores, Transform.None);

    /// <summary>Probabilities (rows × C).</summary>
    public static void Proba(SoftmaxModel model, Dataset data, Span<double> p) => Compute(model, data, p, Transform.Softmax);

    /// <summary>log-probabilities (rows × C), through log-sum-exp.</summary>
    public static void LogProba(SoftmaxModel model, Dataset data, Span<double> p) => Compute(model, data, p, Transform.LogSoftmax);

    /// <summary>The most probable class of each row (ties: the lowest index).</summary>
    public static void Predict(SoftmaxModel model, Dataset data, Span<int> labels)
    {
        int C = model.Classes;
        var scores = new double[(long)data.Rows * C];
        Compute(model, data, scores);
        for (int i = 0; i < data.Rows; i++) labels[i] = TensorPrimitives.IndexOfMax<double>(scores.AsSpan(i * C, C));
    }

    private enum Transform { None, Softmax, LogSoftmax }

    private static unsafe void Compute(SoftmaxModel model, Dataset data, Span<double> output, Transform transform)
    {
        int C = model.Classes, D = model.Features, N = data.Rows;
        if (data.FeatureCount != D) throw new ArgumentException($"The model expects {D} features per row, but the data have {data.FeatureCount}.");
        if (output.Length < (long)N * C) throw new ArgumentException($"The output needs {(long)N * C} values.");
        var theta = model.Parameters;
        fixed (double* o = output)
        {
            nint address = (nint)o;
            Parallel.For(0, (N + Chunk - 1) / Chunk, k =>
            {
                var x = new float[D];
                var scores = new Span<double>((double*)address, N * C);
                for (int i = k * Chunk, end = Math.Min(N, i + Chunk); i < end; i++)
                {
                    data.Features.CopyRow(i, x);
                    model.Preprocessor.ApplyRow(x, x);
                    var s = scores.Slice(i * C, C);
                    for (int c = 0; c < C; c++)
                    {
                        var w = theta.AsSpan(c * D, D);
                        double sum = theta[C * D + c];
                        for (int d = 0; d < D; d++) sum += w[d] * x[d];
                        s[c] = sum;
                    }
                    if (transform == Transform.Softmax) StableMath.Softmax(s, s);
                    else if (transform == Transform.LogSoftmax) StableMath.LogSoftmax(s, s);
                }
            });
        }
    }
}

using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// Batch prediction through the model's single-row API, in parallel blocks.
/// <see cref="SoftmaxModel.PredictProba(Dataset)"/> currently hands raw pointers into pinned buffers to the kernels
/// without keeping the buffers alive (a GC during the call can free them: seen as an AccessViolationException on
/// Fashion-MNIST); until the library fixes that, the CLI scores rows one at a time, which is safe.
/// </summary>
public static class Scoring
{
    /// <summary>Probabilities of every row, row-major (rows × C).</summary>
    public static float[] Proba(SoftmaxModel model, Dataset data)
    {
        if (data.FeatureCount != model.Features)
            throw new ArgumentException($"The model expects {model.Features} features per row, but the data have {data.FeatureCount}.");
        int C = model.Classes, N = data.Rows;
        var p = new float[(long)N * C];
        const int Block = 512;
        Parallel.For(0, (N + Block - 1) / Block, blk =>
        {
            var row = new float[data.FeatureCount];
            for (int i = blk * Block; i < Math.Min(N, (blk + 1) * Block); i++)
            {
                data.Features.CopyRow(i, row);
                model.PredictProba(row, p.AsSpan(i * C, C));
            }
        });
        return p;
    }

    /// <summary>Accuracy against the dataset's labels (matched to the model's classes by name).</summary>
    public static double Accuracy(SoftmaxModel model, Dataset data)
    {
        if (data.Rows == 0) return double.NaN;
        var p = Proba(model, data);
        var truth = model.MapLabels(data);
        int C = model.Classes, right = 0;
        for (int i = 0; i < data.Rows; i++)
        {
            var row = p.AsSpan(i * C, C);
            int best = 0;
            for (int c = 1; c < C; c++) if (row[c] > row[best]) best = c;
            if (best == truth[i]) right++;
        }
        return right / (double)data.Rows;
    }
}

namespace Softmax.Bench.Common;

/// <summary>
/// The one scoring function every system is judged by, in float64:
/// F(W,b) = (1/N) Σ_j −log softmax(W x_j + b)[y_j] + (λ/2)‖W‖²_F, bias not penalised,
/// W is (C, D) row-major, x = the float32 nearest pixel/255, widened (the data the published F* is the optimum of;
/// with x = pixel/255 in float64 the optimum is about 4.1e-9 relative higher). Mirrors bench/peers/common.py's objective().
/// </summary>
public static class Objective
{
    /// <summary>The reference optimum for Fashion-MNIST, λ = 1e-4 (shared/reference/fashion-mnist-optimum.json).</summary>
    public const double FStar = 0.3794770768995895;

    /// <summary>λ of the reference objective.</summary>
    public const double Lambda = 1e-4;

    /// <summary>F in float64 with a stable log-sum-exp. Rows are summed in fixed blocks for determinism.</summary>
    public static double Value(FashionMnistSplit data, double[] w, double[] b, int classes, double lambda = Lambda)
    {
        int n = data.Rows, d = data.Features;
        const int block = 1000;
        int blocks = (n + block - 1) / block;
        var partial = new double[blocks];
        Parallel.For(0, blocks, blk =>
        {
            var scores = new double[classes];
            var x = new double[d];
            double sum = 0;
            int end = Math.Min(n, (blk + 1) * block);
            for (int j = blk * block; j < end; j++)
            {
                var row = data.Pixels.AsSpan(j * d, d);
                for (int k = 0; k < d; k++)
                {
                    x[k] = row[k] / 255f;   // the float32 nearest pixel/255: the data F* is the optimum of
                }
                sum += RowLoss(x, w, b, classes, data.Labels[j], scores);
            }
            partial[blk] = sum;
        });
        return Combine(partial, w, n, lambda);
    }

    /// <summary>F from per-block sums of −log p: (Σ partial)/n + (λ/2)‖W‖², the blocks added in their order.</summary>
    public static double Combine(double[] partial, double[] w, int n, double lambda)
    {
        double total = 0;
        foreach (double p in partial)
        {
            total += p;
        }
        double sq = 0;
        foreach (double v in w)
        {
            sq += v * v;
        }
        return total / n + 0.5 * lambda * sq;
    }

    /// <summary>A fixed, non-trivial point: W[c,d] = 0.01·sin(c·D + d), b[c] = 0.1·cos(c) (as common.py's check_point).</summary>
    public static (double[] W, double[] B) CheckPoint(int classes, int features)
    {
        var w = new double[classes * features];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = 0.01 * Math.Sin(i);
        }
        var b = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            b[c] = 0.1 * Math.Cos(c);
        }
        return (w, b);
    }

    /// <summary>Accuracy of argmax(W x + b) on a split.</summary>
    public static double Accuracy(FashionMnistSplit data, double[] w, double[] b, int classes)
    {
        int n = data.Rows, d = data.Features, correct = 0;
        var x = new double[d];
        var scores = new double[classes];
        for (int j = 0; j < n; j++)
        {
            var row = data.Pixels.AsSpan(j * d, d);
            for (int k = 0; k < d; k++)
            {
                x[k] = row[k] / 255f;   // the float32 nearest pixel/255: the data F* is the optimum of
            }
            Scores(x, w, b, classes, scores);
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (scores[c] > scores[best])
                {
                    best = c;
                }
            }
            correct += best == data.Labels[j] ? 1 : 0;
        }
        return (double)correct / n;
    }

    private static void Scores(double[] x, double[] w, double[] b, int classes, double[] scores)
    {
        int d = x.Length;
        for (int c = 0; c < classes; c++)
        {
            double s = b[c];
            var wc = w.AsSpan(c * d, d);
            for (int k = 0; k < d; k++)
            {
                s += wc[k] * x[k];
            }
            scores[c] = s;
        }
    }

    // −log softmax(o)[y] = logsumexp(o) − o_y, with the max subtracted first.
    private static double RowLoss(double[] x, double[] w, double[] b, int classes, int y, double[] scores)
    {
        Scores(x, w, b, classes, scores);
        return CrossEntropy(scores, classes, y);
    }

    /// <summary>−log softmax(scores)[y] = max + log Σ exp(s − max) − s_y, in float64.</summary>
    public static double CrossEntropy(double[] scores, int classes, int y)
    {
        double max = scores[0];
        for (int c = 1; c < classes; c++)
        {
            max = Math.Max(max, scores[c]);
        }
        double z = 0;
        for (int c = 0; c < classes; c++)
        {
            z += Math.Exp(scores[c] - max);
        }
        return max + Math.Log(z) - scores[y];
    }
}

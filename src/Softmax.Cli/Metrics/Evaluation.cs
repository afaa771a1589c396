using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Metrics;

/// <summary>Precision, recall and F1 of one class, and how many rows truly belong to it.</summary>
public sealed record ClassScore(string Name, double Precision, double Recall, double F1, int Support);

/// <summary>
/// A model's scores on labelled rows: accuracy, top-k accuracy, log-loss (mean −ln p of the true class), per-class
/// precision/recall/F1 and the confusion matrix (rows: true class, columns: predicted class).
/// </summary>
public sealed class Evaluation
{
    private Evaluation(string[] classes, int rows, int k, double accuracy, double topK, double logLoss,
        int[,] confusion, ClassScore[] perClass, int unknown, float[] probabilities, int[] truth, int[] predicted)
    {
        Classes = classes;
        Rows = rows;
        K = k;
        Accuracy = accuracy;
        TopKAccuracy = topK;
        LogLoss = logLoss;
        Confusion = confusion;
        PerClass = perClass;
        UnknownLabels = unknown;
        Probabilities = probabilities;
        Truth = truth;
        Predicted = predicted;
    }

    /// <summary>Class names, by index.</summary>
    public string[] Classes { get; }
    /// <summary>Rows evaluated.</summary>
    public int Rows { get; }
    /// <summary>k of the top-k accuracy.</summary>
    public int K { get; }
    /// <summary>Fraction of rows whose most probable class is the true one.</summary>
    public double Accuracy { get; }
    /// <summary>Fraction of rows whose true class is among the k most probable.</summary>
    public double TopKAccuracy { get; }
    /// <summary>Mean −ln p(true class), with p clamped to ≥ 1e-15; rows of unknown labels are left out.</summary>
    public double LogLoss { get; }
    /// <summary>Counts [true, predicted].</summary>
    public int[,] Confusion { get; }
    /// <summary>Per-class scores.</summary>
    public ClassScore[] PerClass { get; }
    /// <summary>Rows whose label the model does not know (counted wrong).</summary>
    public int UnknownLabels { get; }
    /// <summary>Probabilities, row-major (rows × C).</summary>
    public float[] Probabilities { get; }
    /// <summary>True class index per row (−1: unknown to the model).</summary>
    public int[] Truth { get; }
    /// <summary>Predicted class index per row.</summary>
    public int[] Predicted { get; }

    /// <summary>Scores <paramref name="model"/> on <paramref name="data"/> (raw rows; the model preprocesses).</summary>
    public static Evaluation Run(SoftmaxModel model, Dataset data, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows == 0) throw new ArgumentException("There are no rows to evaluate.");
        int C = model.Classes, N = data.Rows;
        k = Math.Clamp(k, 1, C);
        var p = Infrastructure.Scoring.Proba(model, data);
        var truth = model.MapLabels(data);
        var predicted = new int[N];
        var confusion = new int[C, C];
        int right = 0, inTopK = 0, unknown = 0, known = 0;
        double logLoss = 0;
        for (int i = 0; i < N; i++)
        {
            var row = new ReadOnlySpan<float>(p, i * C, C);
            int best = 0;
            for (int c = 1; c < C; c++) if (row[c] > row[best]) best = c;
            predicted[i] = best;
            int y = truth[i];
            if (y < 0) { unknown++; continue; }
            known++;
            confusion[y, best]++;
            if (best == y) right++;
            int above = 0;
            for (int c = 0; c < C; c++) if (row[c] > row[y] || (row[c] == row[y] && c < y)) above++;
            if (above < k) inTopK++;
            logLoss -= Math.Log(Math.Max(row[y], 1e-15));
        }
        var perClass = new ClassScore[C];
        for (int c = 0; c < C; c++)
        {
            int tp = confusion[c, c], support = 0, predictedC = 0;
            for (int j = 0; j < C; j++) { support += confusion[c, j]; predictedC += confusion[j, c]; }
            double precision = predictedC == 0 ? 0 : tp / (double)predictedC;
            double recall = support == 0 ? 0 : tp / (double)support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassScore(model.ClassNames[c], precision, recall, f1, support);
        }
        return new Evaluation(model.ClassNames.ToArray(), N, k, right / (double)N, inTopK / (double)N,
            known == 0 ? double.NaN : logLoss / known, confusion, perClass, unknown, p, truth, predicted);
    }

}

namespace Softmax.Metrics;

/// <summary>Precision, recall and F1 of one class, and how many rows truly belong to it.</summary>
public sealed record ClassScore(string Name, double Precision, double Recall, double F1, int Support);

/// <summary>Precision, recall and F1 averaged over classes.</summary>
public sealed record AverageScores(double Precision, double Recall, double F1);

/// <summary>
/// Scores of class probabilities against true labels, with scikit-learn's definitions (tested against it to 1e-12):
/// accuracy, top-k accuracy, log-loss (rows renormalised and clipped to [ε, 1 − ε], ε the float64 machine epsilon,
/// as <c>log_loss</c>), per-class precision/recall/F1 (0 where undefined), their macro and support-weighted
/// averages, the confusion matrix (rows: true class, columns: predicted), the multiclass Brier score
/// (mean over rows of Σ_c (p_c − [y = c])²) and, for two classes, <see cref="BinaryMetrics"/>.
/// A true label of −1 is a class the model does not know: the row counts as wrong in the accuracies and is left
/// out of everything else.
/// </summary>
public sealed class ClassificationMetrics
{
    private ClassificationMetrics() { }

    /// <summary>Class names, by index.</summary>
    public IReadOnlyList<string> Classes { get; private init; } = [];
    /// <summary>Rows scored.</summary>
    public int Rows { get; private init; }
    /// <summary>Rows whose true label the model does not know (−1).</summary>
    public int UnknownLabels { get; private init; }
    /// <summary>Fraction of rows whose most probable class (ties: the lowest index) is the true one.</summary>
    public double Accuracy { get; private init; }
    /// <summary>k of <see cref="TopKAccuracy"/>, or null when k would cover every class (it would always be 1).</summary>
    public int? K { get; private init; }
    /// <summary>Fraction of rows whose true class is among the k most probable; null when <see cref="K"/> is.</summary>
    public double? TopKAccuracy { get; private init; }
    /// <summary>Mean −ln p(true class), as scikit-learn's <c>log_loss</c>.</summary>
    public double LogLoss { get; private init; }
    /// <summary>Mean over rows of Σ_c (p_c − [y = c])².</summary>
    public double BrierScore { get; private init; }
    /// <summary>Counts [true, predicted].</summary>
    public int[,] Confusion { get; private init; } = new int[0, 0];
    /// <summary>Per-class scores.</summary>
    public IReadOnlyList<ClassScore> PerClass { get; private init; } = [];
    /// <summary>Unweighted mean of the per-class scores.</summary>
    public AverageScores Macro { get; private init; } = new(0, 0, 0);
    /// <summary>Mean of the per-class scores weighted by support.</summary>
    public AverageScores Weighted { get; private init; } = new(0, 0, 0);
    /// <summary>The most probable class of each row.</summary>
    public IReadOnlyList<int> Predicted { get; private init; } = [];
    /// <summary>ROC and precision-recall of class 1 against class 0, for two classes; else null.</summary>
    public BinaryMetrics? Binary { get; private init; }

    /// <summary>
    /// Scores <paramref name="probabilities"/> (rows × C, row-major) against <paramref name="truth"/> (class indices,
    /// −1 for unknown). <paramref name="k"/> is the top-k's k (left out when k ≥ C).
    /// </summary>
    public static ClassificationMetrics Compute(IReadOnlyList<string> classes, ReadOnlySpan<int> truth, ReadOnlySpan<float> probabilities, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(classes);
        int C = classes.Count, N = truth.Length;
        if (C < 1) throw new ArgumentException("At least one class is needed.", nameof(classes));
        if (N == 0) throw new ArgumentException("There are no rows to score.", nameof(truth));
        if (probabilities.Length != (long)N * C) throw new ArgumentException($"Expected {N}×{C} probabilities, found {probabilities.Length}.", nameof(probabilities));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var predicted = new int[N];
        var confusion = new int[C, C];
        int right = 0, inTopK = 0, unknown = 0, known = 0;
        double logLoss = 0, brier = 0;
        for (int i = 0; i < N; i++)
        {
            var row = probabilities.Slice(i * C, C);
            int best = 0;
            for (int c = 1; c < C; c++) if (row[c] > row[best]) best = c;
            predicted[i] = best;
            int y = truth[i];
            if (y < 0) { unknown++; continue; }
            if (y >= C) throw new ArgumentOutOfRangeException(nameof(truth), $"Label {y} at row {i} is outside 0..{C - 1}.");
            known++;
            confusion[y, best]++;
            if (best == y) right++;
            int above = 0;
            for (int c = 0; c < C; c++) if (row[c] > row[y] || (row[c] == row[y] && c < y)) above++;
            if (above < k) inTopK++;
            logLoss += RowLogLoss(row, y);
            for (int c = 0; c < C; c++)
            {
                double d = row[c] - (c == y ? 1.0 : 0.0);
                brier += d * d;
            }
        }
        var perClass = PerClassScores(classes, confusion);
        int total = perClass.Sum(s => s.Support);
        return new ClassificationMetrics
        {
            Classes = classes.ToArray(),
            Rows = N,
            UnknownLabels = unknown,
            Accuracy = right / (double)N,
            K = k < C ? k : null,
            TopKAccuracy = k < C ? inTopK / (double)N : null,
            LogLoss = known == 0 ? double.NaN : logLoss / known,
            BrierScore = known == 0 ? double.NaN : brier / known,
            Confusion = confusion,
            PerClass = perClass,
            Macro = new AverageScores(perClass.Average(s => s.Precision), perClass.Average(s => s.Recall), perClass.Average(s => s.F1)),
            Weighted = total == 0 ? new AverageScores(0, 0, 0) : new AverageScores(
                perClass.Sum(s => s.Precision * s.Support) / total, perClass.Sum(s => s.Recall * s.Support) / total, perClass.Sum(s => s.F1 * s.Support) / total),
            Predicted = predicted,
            Binary = C == 2 ? BinaryMetrics.Compute(truth, probabilities) : null,
        };
    }

    // −ln of the true class's probability after clipping to [ε, 1 − ε] and renormalising the row (scikit-learn's log_loss).
    private static double RowLogLoss(ReadOnlySpan<float> row, int y)
    {
        const double Eps = 2.220446049250313e-16;   // np.finfo(float64).eps
        double sum = 0;
        foreach (float p in row) sum += Math.Clamp(p, Eps, 1 - Eps);
        return -Math.Log(Math.Clamp(row[y], Eps, 1 - Eps) / sum);
    }

    private static ClassScore[] PerClassScores(IReadOnlyList<string> classes, int[,] confusion)
    {
        int C = classes.Count;
        var scores = new ClassScore[C];
        for (int c = 0; c < C; c++)
        {
            int tp = confusion[c, c], support = 0, predictedC = 0;
            for (int j = 0; j < C; j++) { support += confusion[c, j]; predictedC += confusion[j, c]; }
            double precision = predictedC == 0 ? 0 : tp / (double)predictedC;
            double recall = support == 0 ? 0 : tp / (double)support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            scores[c] = new ClassScore(classes[c], precision, recall, f1, support);
        }
        return scores;
    }
}

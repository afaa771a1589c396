namespace Softmax.Metrics;

/// <summary>One point of a ROC curve: rows scoring ≥ <paramref name="Threshold"/> are called positive.</summary>
public sealed record RocPoint(double FalsePositiveRate, double TruePositiveRate, double Threshold);

/// <summary>One point of a precision-recall curve at <paramref name="Threshold"/> (the last point has none: NaN).</summary>
public sealed record PrecisionRecallPoint(double Precision, double Recall, double Threshold);

/// <summary>
/// Two-class scores of p(class 1) against the truth, as scikit-learn computes them: <c>roc_curve</c> (with
/// <c>drop_intermediate</c>) and <c>roc_auc_score</c> by the trapezoidal rule, <c>precision_recall_curve</c> and
/// <c>average_precision_score</c> (Σ (R_n − R_{n−1}) P_n, not interpolated), and <c>brier_score_loss</c>
/// (mean (p − y)²). Rows with an unknown label (−1) are left out.
/// </summary>
public sealed class BinaryMetrics
{
    private BinaryMetrics() { }

    /// <summary>Area under the ROC curve (NaN when only one class is present).</summary>
    public double RocAuc { get; private init; }
    /// <summary>Average precision, the area under the precision-recall curve (NaN without positives).</summary>
    public double AveragePrecision { get; private init; }
    /// <summary>Mean (p(class 1) − [y = 1])², scikit-learn's <c>brier_score_loss</c>.</summary>
    public double BrierScore { get; private init; }
    /// <summary>The ROC curve, from (0, 0) to (1, 1).</summary>
    public IReadOnlyList<RocPoint> Roc { get; private init; } = [];
    /// <summary>The precision-recall curve, recall decreasing, ending at (1, 0).</summary>
    public IReadOnlyList<PrecisionRecallPoint> PrecisionRecall { get; private init; } = [];

    /// <summary>Scores two-class probabilities (rows × 2, row-major) against <paramref name="truth"/> (0, 1 or −1).</summary>
    public static BinaryMetrics Compute(ReadOnlySpan<int> truth, ReadOnlySpan<float> probabilities)
    {
        if (probabilities.Length != 2L * truth.Length) throw new ArgumentException("Expected two probabilities per row.", nameof(probabilities));
        var score = new List<double>();
        var positive = new List<bool>();
        double brier = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            if (truth[i] < 0) continue;
            double p = probabilities[2 * i + 1];
            score.Add(p);
            positive.Add(truth[i] == 1);
            double d = p - (truth[i] == 1 ? 1 : 0);
            brier += d * d;
        }
        if (score.Count == 0) throw new ArgumentException("No row has a known label.", nameof(truth));
        var (fps, tps, thresholds) = Curve(score, positive);
        var roc = RocCurve(fps, tps, thresholds);
        var pr = PrCurve(fps, tps, thresholds);
        double auc = 0;
        for (int i = 1; i < roc.Count; i++)
            auc += (roc[i].FalsePositiveRate - roc[i - 1].FalsePositiveRate) * (roc[i].TruePositiveRate + roc[i - 1].TruePositiveRate) / 2;
        double ap = 0;
        for (int i = 0; i + 1 < pr.Count; i++) ap += (pr[i].Recall - pr[i + 1].Recall) * pr[i].Precision;
        return new BinaryMetrics
        {
            RocAuc = tps[^1] == 0 || fps[^1] == 0 ? double.NaN : auc,
            AveragePrecision = tps[^1] == 0 ? double.NaN : ap,
            BrierScore = brier / score.Count,
            Roc = roc,
            PrecisionRecall = pr,
        };
    }

    // Cumulative false and true positives at each distinct score, scores descending (scikit-learn's _binary_clf_curve).
    private static (double[] Fps, double[] Tps, double[] Thresholds) Curve(List<double> score, List<bool> positive)
    {
        int n = score.Count;
        var order = Enumerable.Range(0, n).ToArray();
        // Descending score; equal scores keep a fixed order (the counts at a distinct threshold do not depend on it).
        Array.Sort(order, (a, b) => score[b] != score[a] ? score[b].CompareTo(score[a]) : a.CompareTo(b));
        var fps = new List<double>();
        var tps = new List<double>();
        var thresholds = new List<double>();
        double tp = 0;
        for (int i = 0; i < n; i++)
        {
            if (positive[order[i]]) tp++;
            if (i + 1 < n && score[order[i + 1]] == score[order[i]]) continue;
            tps.Add(tp);
            fps.Add(i + 1 - tp);
            thresholds.Add(score[order[i]]);
        }
        return (fps.ToArray(), tps.ToArray(), thresholds.ToArray());
    }

    private static List<RocPoint> RocCurve(double[] fps, double[] tps, double[] thresholds)
    {
        double fpTotal = fps[^1], tpTotal = tps[^1];
        var roc = new List<RocPoint> { new(0, 0, thresholds[0] + 1) };
        for (int i = 0; i < fps.Length; i++)
        {
            bool corner = i == 0 || i == fps.Length - 1 || fps.Length <= 2
                || fps[i + 1] - 2 * fps[i] + fps[i - 1] != 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] != 0;
            if (corner) roc.Add(new RocPoint(fpTotal > 0 ? fps[i] / fpTotal : double.NaN, tpTotal > 0 ? tps[i] / tpTotal : double.NaN, thresholds[i]));
        }
        return roc;
    }

    private static List<PrecisionRecallPoint> PrCurve(double[] fps, double[] tps, double[] thresholds)
    {
        var pr = new List<PrecisionRecallPoint>();
        double tpTotal = tps[^1];
        for (int i = fps.Length - 1; i >= 0; i--)
        {
            double predictedPositive = tps[i] + fps[i];
            pr.Add(new PrecisionRecallPoint(predictedPositive == 0 ? 0 : tps[i] / predictedPositive, tpTotal == 0 ? 1 : tps[i] / tpTotal, thresholds[i]));
        }
        pr.Add(new PrecisionRecallPoint(1, 0, double.NaN));
        return pr;
    }
}

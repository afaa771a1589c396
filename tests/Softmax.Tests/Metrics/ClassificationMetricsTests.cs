using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Softmax.Metrics;

namespace Softmax.Tests.Metrics;

/// <summary>
/// <see cref="ClassificationMetrics"/> against scikit-learn's metrics on the same predictions (written to a file and
/// scored by <c>/usr/bin/python3</c>), to 1e-12.
/// </summary>
public sealed class ClassificationMetricsTests
{
    private const string Script = """
        import json, sys
        import numpy as np
        from sklearn import metrics as M
        d = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
        k = int(sys.argv[2])
        y = d[:, 0].astype(int); p = d[:, 1:]; C = p.shape[1]; labels = list(range(C))
        pred = p.argmax(axis=1)
        pr, rc, f1, sup = M.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
        out = {
            "accuracy": M.accuracy_score(y, pred),
            "log_loss": M.log_loss(y, p, labels=labels),
            "confusion": M.confusion_matrix(y, pred, labels=labels).tolist(),
            "precision": pr.tolist(), "recall": rc.tolist(), "f1": f1.tolist(), "support": sup.tolist(),
            "macro": list(M.precision_recall_fscore_support(y, pred, labels=labels, average="macro", zero_division=0)[:3]),
            "weighted": list(M.precision_recall_fscore_support(y, pred, labels=labels, average="weighted", zero_division=0)[:3]),
            "brier": float(np.mean(np.sum((p - np.eye(C)[y]) ** 2, axis=1))),
        }
        if k < C: out["top_k"] = M.top_k_accuracy_score(y, p, k=k, labels=labels) if C > 2 else M.accuracy_score(y, pred)
        if C == 2:
            out["roc_auc"] = M.roc_auc_score(y, p[:, 1])
            out["average_precision"] = M.average_precision_score(y, p[:, 1])
            out["brier_binary"] = M.brier_score_loss(y, p[:, 1])
            fpr, tpr, thr = M.roc_curve(y, p[:, 1])
            out["roc"] = [fpr.tolist(), tpr.tolist(), thr.tolist()]
            pp, rr, tt = M.precision_recall_curve(y, p[:, 1])
            out["pr"] = [pp.tolist(), rr.tolist(), tt.tolist()]
        print(json.dumps(out))
        """;

    [Theory]
    [InlineData(2, 300, 1, 0.0)]
    [InlineData(2, 57, 2, 0.3)]
    [InlineData(3, 200, 2, 0.0)]
    [InlineData(5, 400, 3, 0.1)]
    [InlineData(10, 250, 5, 0.0)]
    public void Agrees_with_scikit_learn_to_1e_12(int classes, int rows, int k, double tiedFraction)
    {
        var rng = new Random(classes * 1000 + rows);
        var truth = new int[rows];
        var p = new float[rows * classes];
        for (int i = 0; i < rows; i++)
        {
            truth[i] = rng.Next(classes);
            double sum = 0;
            var raw = new double[classes];
            for (int c = 0; c < classes; c++) sum += raw[c] = Math.Exp(2 * rng.NextDouble() + (c == truth[i] ? rng.NextDouble() : 0));
            for (int c = 0; c < classes; c++) p[i * classes + c] = (float)(raw[c] / sum);
            // Repeated scores exercise the tie handling of the curves (distinct thresholds).
            if (rng.NextDouble() < tiedFraction && i > 0) p.AsSpan((i - 1) * classes, classes).CopyTo(p.AsSpan(i * classes, classes));
        }
        var names = Enumerable.Range(0, classes).Select(c => "c" + c.ToString(CultureInfo.InvariantCulture)).ToArray();
        var m = ClassificationMetrics.Compute(names, truth, p, k);
        var sk = SciKit(truth, p, classes, k);

        Close(sk.GetProperty("accuracy").GetDouble(), m.Accuracy);
        Close(sk.GetProperty("log_loss").GetDouble(), m.LogLoss);
        Close(sk.GetProperty("brier").GetDouble(), m.BrierScore);
        var confusion = sk.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int a = 0; a < classes; a++)
        {
            for (int b = 0; b < classes; b++) Assert.Equal(confusion[a][b], m.Confusion[a, b]);
            Close(sk.GetProperty("precision")[a].GetDouble(), m.PerClass[a].Precision);
            Close(sk.GetProperty("recall")[a].GetDouble(), m.PerClass[a].Recall);
            Close(sk.GetProperty("f1")[a].GetDouble(), m.PerClass[a].F1);
            Assert.Equal(sk.GetProperty("support")[a].GetInt32(), m.PerClass[a].Support);
        }
        foreach (var (key, avg) in new[] { ("macro", m.Macro), ("weighted", m.Weighted) })
        {
            Close(sk.GetProperty(key)[0].GetDouble(), avg.Precision);
            Close(sk.GetProperty(key)[1].GetDouble(), avg.Recall);
            Close(sk.GetProperty(key)[2].GetDouble(), avg.F1);
        }
        if (k < classes) Close(sk.GetProperty("top_k").GetDouble(), m.TopKAccuracy!.Value);
        else Assert.Null(m.TopKAccuracy);
        if (classes != 2) { Assert.Null(m.Binary); return; }
        var bin = m.Binary!;
        Close(sk.GetProperty("roc_auc").GetDouble(), bin.RocAuc);
        Close(sk.GetProperty("average_precision").GetDouble(), bin.AveragePrecision);
        Close(sk.GetProperty("brier_binary").GetDouble(), bin.BrierScore);
        var roc = sk.GetProperty("roc");
        Assert.Equal(roc[0].GetArrayLength(), bin.Roc.Count);
        for (int i = 0; i < bin.Roc.Count; i++)
        {
            Close(roc[0][i].GetDouble(), bin.Roc[i].FalsePositiveRate);
            Close(roc[1][i].GetDouble(), bin.Roc[i].TruePositiveRate);
            Close(roc[2][i].GetDouble(), bin.Roc[i].Threshold);
        }
        var pr = sk.GetProperty("pr");
        Assert.Equal(pr[0].GetArrayLength(), bin.PrecisionRecall.Count);
        for (int i = 0; i < bin.PrecisionRecall.Count; i++)
        {
            Close(pr[0][i].GetDouble(), bin.PrecisionRecall[i].Precision);
            Close(pr[1][i].GetDouble(), bin.PrecisionRecall[i].Recall);
            if (i < pr[2].GetArrayLength()) Close(pr[2][i].GetDouble(), bin.PrecisionRecall[i].Threshold);
        }
    }

    [Fact]
    public void Unknown_labels_count_wrong_and_leave_the_rest_alone()
    {
        float[] p = [0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f];
        var m = ClassificationMetrics.Compute(["a", "b"], [0, -1, 1], p, k: 1);
        Assert.Equal(1 / 3.0, m.Accuracy, 15);
        Assert.Equal(1, m.UnknownLabels);
        Assert.Equal((-Math.Log(0.9f) - Math.Log(0.4f)) / 2, m.LogLoss, 6);
        Assert.Equal(2, m.PerClass.Sum(c => c.Support));
    }

    private static void Close(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    private static JsonElement SciKit(int[] truth, float[] p, int classes, int k)
    {
        string file = Path.Combine(Path.GetTempPath(), $"softmax-metrics-{Guid.NewGuid():N}.csv");
        var text = new StringBuilder();
        for (int i = 0; i < truth.Length; i++)
        {
            text.Append(truth[i].ToString(CultureInfo.InvariantCulture));
            for (int c = 0; c < classes; c++) text.Append(',').Append(((double)p[i * classes + c]).ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        File.WriteAllText(file, text.ToString());
        try
        {
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            psi.ArgumentList.Add("-");
            psi.ArgumentList.Add(file);
            psi.ArgumentList.Add(k.ToString(CultureInfo.InvariantCulture));
            using var process = Process.Start(psi)!;
            process.StandardInput.Write(Script.Replace("\r", ""));
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"python3 failed: {stderr.Result}");
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally { File.Delete(file); }
    }
}

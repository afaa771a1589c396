using System.Text.Json;
using Softmax.Cli.Infrastructure;
using Softmax.IO;
using Softmax.Metrics;

namespace Softmax.Cli.Metrics;

/// <summary>Small helpers over <see cref="Utf8JsonWriter"/>: round-trip doubles, null for missing or non-finite values.</summary>
public static class JsonOut
{
    /// <summary>Writes a JSON document atomically to <paramref name="path"/>.</summary>
    public static void WriteFile(string path, Action<Utf8JsonWriter> write) => AtomicFile.WriteStream(path, stream =>
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        write(writer);
        writer.Flush();
    });

    /// <summary>A number, or null when missing, NaN or infinite (JSON has no NaN). Doubles round-trip exactly.</summary>
    public static void Number(this Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>"hyperparameters": every setting recorded in the model's training info, plus solver, λ2, λ1 and seed.</summary>
    public static void Hyperparameters(this Utf8JsonWriter w, Softmax.Model.TrainingInfo info)
    {
        w.WriteStartObject("hyperparameters");
        w.WriteString("solver", info.Solver);
        w.Number("l2", info.L2);
        w.Number("l1", info.L1);
        w.WriteNumber("seed", info.Seed);
        foreach (var (key, value) in info.Settings.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(key, value);
        w.WriteEndObject();
    }

    /// <summary>
    /// "iterations", "epochs" and "evaluations": a mini-batch solver counts epochs ("evaluations" null); L-BFGS has no
    /// epochs ("epochs" null) and counts its evaluations of F and ∇F, each a full pass over the training rows.
    /// </summary>
    public static void Counts(this Utf8JsonWriter w, Softmax.Model.TrainingInfo t)
    {
        w.WriteNumber("iterations", t.Iterations);
        w.Number("epochs", t.Epochs);
        w.Number("evaluations", t.Evaluations);
    }

    /// <summary>
    /// "history": the recorded curve (training loss, gradient norm, validation loss and accuracy per record); a
    /// mini-batch record has its "epoch" ("evaluations" null), an L-BFGS record, which has no epoch, its "evaluations".
    /// </summary>
    public static void History(this Utf8JsonWriter w, IReadOnlyList<Softmax.Optimization.HistoryEntry> history) => w.Objects("history", history, h =>
    {
        w.WriteNumber("iteration", h.Iteration);
        bool lbfgs = h.Epoch == 0;   // mini-batch records start at epoch 1
        w.Number("epoch", lbfgs ? null : h.Epoch);
        w.Number("evaluations", lbfgs ? h.Evaluations : null);
        w.Number("loss", h.Loss);
        w.Number("gradient_norm", h.GradientNorm);
        w.Number("validation_accuracy", h.ValidationAccuracy);
        w.Number("validation_loss", h.ValidationLoss);
        w.Number("seconds", h.Seconds);
    });

    /// <summary>An array <paramref name="name"/> of one object per item, its properties written by <paramref name="write"/>.</summary>
    public static void Objects<T>(this Utf8JsonWriter w, string name, IEnumerable<T> items, Action<T> write)
    {
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            write(item);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>An array <paramref name="name"/> of the values, each written by <paramref name="write"/>.</summary>
    public static void Values<T>(this Utf8JsonWriter w, string name, IEnumerable<T> items, Action<T> write)
    {
        w.WriteStartArray(name);
        foreach (var item in items) write(item);
        w.WriteEndArray();
    }

    /// <summary>An evaluation as an object: accuracy, top-k, log-loss, per-class scores and the confusion matrix.</summary>
    public static void Evaluation(this Utf8JsonWriter w, Evaluation e)
    {
        w.WriteStartObject();
        w.WriteNumber("n_rows", e.Metrics.Rows);
        w.Number("accuracy", e.Metrics.Accuracy);
        w.Number("top_k", e.Metrics.K);
        w.Number("top_k_accuracy", e.Metrics.TopKAccuracy);
        w.Number("log_loss", e.Metrics.LogLoss);
        w.Number("brier_score", e.Metrics.BrierScore);
        w.WriteNumber("unknown_labels", e.Metrics.UnknownLabels);
        w.WriteNumber("unseen_categories", e.UnseenCategories);
        foreach (var (name, a) in new[] { ("macro_avg", e.Metrics.Macro), ("weighted_avg", e.Metrics.Weighted) })
        {
            w.WriteStartObject(name);
            w.Number("precision", a.Precision);
            w.Number("recall", a.Recall);
            w.Number("f1", a.F1);
            w.WriteEndObject();
        }
        if (e.Metrics.Binary is { } b) w.Binary(b, e.Classes[1]);
        w.Values("classes", e.Classes, w.WriteStringValue);
        w.Objects("per_class", e.Metrics.PerClass, s =>
        {
            w.WriteString("class", s.Name);
            w.Number("precision", s.Precision);
            w.Number("recall", s.Recall);
            w.Number("f1", s.F1);
            w.WriteNumber("support", s.Support);
        });
        int C = e.Metrics.Classes.Count;
        w.Values("confusion_matrix", Enumerable.Range(0, C), i =>
        {
            w.WriteStartArray();
            for (int j = 0; j < C; j++) w.WriteNumberValue(e.Metrics.Confusion[i, j]);
            w.WriteEndArray();
        });
        w.WriteEndObject();
    }

    /// <summary>The two-class scores and curves.</summary>
    private static void Binary(this Utf8JsonWriter w, BinaryMetrics b, string positive)
    {
        w.WriteStartObject("binary");
        w.WriteString("positive_class", positive);
        w.Number("roc_auc", b.RocAuc);
        w.Number("average_precision", b.AveragePrecision);
        w.Number("brier_score", b.BrierScore);
        w.Objects("roc_curve", b.Roc, p =>
        {
            w.Number("fpr", p.FalsePositiveRate);
            w.Number("tpr", p.TruePositiveRate);
            w.Number("threshold", p.Threshold);
        });
        w.Objects("pr_curve", b.PrecisionRecall, p =>
        {
            w.Number("precision", p.Precision);
            w.Number("recall", p.Recall);
            w.Number("threshold", p.Threshold);
        });
        w.WriteEndObject();
    }
}

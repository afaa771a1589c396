using Softmax.IO;
using System.Text.Json;
using Softmax.Cli.Infrastructure;

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

    /// <summary>"history": the recorded curve (training loss, gradient norm, validation loss and accuracy per record).</summary>
    public static void History(this Utf8JsonWriter w, IReadOnlyList<Softmax.Optimization.HistoryEntry> history)
    {
        w.WriteStartArray("history");
        foreach (var h in history)
        {
            w.WriteStartObject();
            w.WriteNumber("iteration", h.Iteration);
            w.WriteNumber("epoch", h.Epoch);
            w.Number("loss", h.Loss);
            w.Number("gradient_norm", h.GradientNorm);
            w.Number("validation_accuracy", h.ValidationAccuracy);
            w.Number("validation_loss", h.ValidationLoss);
            w.Number("seconds", h.Seconds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>An evaluation as an object: accuracy, top-k, log-loss, per-class scores and the confusion matrix.</summary>
    public static void Evaluation(this Utf8JsonWriter w, Evaluation e)
    {
        w.WriteStartObject();
        w.WriteNumber("n_rows", e.Rows);
        w.Number("accuracy", e.Accuracy);
        w.WriteNumber("top_k", e.K);
        w.Number("top_k_accuracy", e.TopKAccuracy);
        w.Number("log_loss", e.LogLoss);
        w.WriteNumber("unknown_labels", e.UnknownLabels);
        w.WriteStartArray("classes");
        foreach (var c in e.Classes) w.WriteStringValue(c);
        w.WriteEndArray();
        w.WriteStartArray("per_class");
        foreach (var s in e.PerClass)
        {
            w.WriteStartObject();
            w.WriteString("class", s.Name);
            w.Number("precision", s.Precision);
            w.Number("recall", s.Recall);
            w.Number("f1", s.F1);
            w.WriteNumber("support", s.Support);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("confusion_matrix");
        int C = e.Classes.Length;
        for (int i = 0; i < C; i++)
        {
            w.WriteStartArray();
            for (int j = 0; j < C; j++) w.WriteNumberValue(e.Confusion[i, j]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

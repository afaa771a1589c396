using System.Text.Json;
using Softmax.Cli.Commands;
using Softmax.Model;

namespace Softmax.Cli.Metrics;

/// <summary>The JSON of <c>softmax tune --metrics-json</c>: the saved model's hyper-parameters, every trial best first, and each trial's curve.</summary>
public static class TuneMetrics
{
    /// <summary>Writes the file atomically.</summary>
    public static void Write(string path, SoftmaxModel best, IReadOnlyList<Trial> ranked, int folds, bool refit, double? testAccuracy) =>
        JsonOut.WriteFile(path, w =>
        {
            var winner = ranked[0];
            w.WriteStartObject();
            w.WriteString("solver", best.Training.Solver);
            w.WriteNumber("folds", folds);
            w.WriteBoolean("refit", refit);
            w.Number("best_validation_accuracy", winner.ValidationAccuracy);
            w.Number("best_validation_accuracy_std", winner.AccuracyStd);
            w.Number("best_validation_log_loss", winner.ValidationLogLoss);
            w.Number("test_accuracy", testAccuracy);
            w.WriteNumber("best_trial", winner.Index);
            w.Hyperparameters(best.Training);
            w.Objects("trials", ranked, t =>
            {
                w.WriteNumber("trial", t.Index);
                w.Number("lr", t.LearningRate);
                w.Number("l2", t.L2);
                w.WriteNumber("batch_size", t.BatchSize);
                w.WriteNumber("epochs", t.Epochs);
                w.Number("validation_accuracy", t.ValidationAccuracy);
                w.Number("validation_accuracy_std", t.AccuracyStd);
                w.Number("validation_log_loss", t.ValidationLogLoss);
                w.Number("validation_log_loss_std", t.LogLossStd);
                w.Number("objective", t.Objective);
                w.Number("seconds", t.Seconds);
                w.Values("fold_accuracies", t.FoldAccuracies, w.WriteNumberValue);
                w.WriteBoolean("diverged", t.Diverged);
                w.WriteString("status", t.Status);
                w.History(t.History);
            });
            w.WriteEndObject();
        });
}

using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Cli.Plots;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Cli.Commands;

/// <summary><c>softmax eval</c>: accuracy, top-k accuracy, log-loss, per-class scores and the confusion matrix.</summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var model = new Option<string>("--model") { Description = "Model file", DefaultValueFactory = _ => "model.softmax" };
        var data = new Option<string>("--data") { Description = "Dataset name (its test split) or a file/directory", DefaultValueFactory = _ => "digits" };
        var format = new Option<string>("--format") { Description = "Input format", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong(DataSource.FormatNames);
        var label = new Option<string?>("--label-column") { Description = "CSV label column, by name or index" };
        var topK = new Option<int>("--top-k") { Description = "k of the top-k accuracy", DefaultValueFactory = _ => 5 };
        var metrics = new Option<string?>("--metrics-json") { Description = "Write the metrics (confusion matrix included) as JSON" };
        var plots = new Option<string?>("--plots") { Description = "Directory for the confusion-matrix heatmap and weight pictures" };
        var command = new Command("eval", "Evaluate a model on labelled data");
        foreach (Option o in new Option[] { model, data, format, label, topK, metrics, plots }) command.Add(o);
        command.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            var m = ModelFile.Load(parse.GetValue(model)!);
            DataSource.CheckSpec(parse.GetValue(data)!, "--data");
            var source = new DataSource(parse.GetValue(data)!, DataSource.ParseFormat(parse.GetValue(format)), parse.GetValue(label));
            var rows = source.LoadForEvaluation(m.Schema, out int unseen);
            CheckFeatures(m, rows, source.Spec);
            int k = parse.GetValue(topK);
            if (k < 1) throw new UsageException("--top-k must be at least 1.");
            var e = Evaluation.Run(m, rows, k, unseen);
            if (parse.GetValue(metrics) is { } path) JsonOut.WriteFile(path, w => w.Evaluation(e));
            if (parse.GetValue(plots) is { } dir)
            {
                string title = rows.Name ?? source.Spec;
                ConfusionHeatmap.Save(e, dir, $"{title}: confusion matrix");
                WeightPictures.Save(m, dir, $"{title}: learned weights per class");
            }
            Show(ui, e, rows.Name ?? source.Spec);
            return 0;
        }));
        return command;
    }

    /// <summary>A feature-count mismatch is an input error naming the data.</summary>
    public static void CheckFeatures(SoftmaxModel model, Dataset data, string source)
    {
        if (data.FeatureCount != model.Features)
            throw new DataFormatException(source, null, $"expected {model.Features} features per row (the model's), found {data.FeatureCount}");
    }

    /// <summary>Prints the summary, the per-class table and the confusion matrix.</summary>
    public static void Show(Ui ui, Evaluation e, string name)
    {
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        var rows = new List<(string, string)>
        {
            ("rows", I(e.Rows)),
            ("accuracy", Ui.F(e.Accuracy, "F4")),
        };
        if (e.K is { } k) rows.Add(($"top-{k} accuracy", Ui.F(e.TopKAccuracy ?? double.NaN, "F4")));
        rows.Add(("log-loss", Ui.F(e.LogLoss, "F4")));
        rows.Add(("Brier score", Ui.F(e.Metrics.BrierScore, "F4")));
        rows.Add(("macro F1", Ui.F(e.Metrics.Macro.F1, "F4")));
        rows.Add(("weighted F1", Ui.F(e.Metrics.Weighted.F1, "F4")));
        if (e.Metrics.Binary is { } b)
        {
            rows.Add(($"ROC AUC ({e.Classes[1]})", Ui.F(b.RocAuc, "F4")));
            rows.Add(($"average precision ({e.Classes[1]})", Ui.F(b.AveragePrecision, "F4")));
        }
        rows.Add(("unknown labels", I(e.UnknownLabels)));
        rows.Add(("unseen categories", I(e.UnseenCategories)));
        ui.Summary($"evaluation on {name}", rows);
        ui.Table("per-class scores", ["class", "precision", "recall", "f1", "support"],
            e.PerClass.Select(c => (IReadOnlyList<string>)[c.Name, Ui.F(c.Precision, "F4"), Ui.F(c.Recall, "F4"), Ui.F(c.F1, "F4"), I(c.Support)]));
        int C = e.Classes.Length;
        if (C > 30) { ui.Note("(confusion matrix omitted on the terminal: more than 30 classes; see --metrics-json)"); return; }
        ui.Table("confusion matrix (rows: true, columns: predicted)", ["true\\pred", .. e.Classes],
            Enumerable.Range(0, C).Select(i => (IReadOnlyList<string>)[e.Classes[i], .. Enumerable.Range(0, C).Select(j => I(e.Confusion[i, j]))]));
    }
}

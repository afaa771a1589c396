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
        var input = new ScoredData();
        var topK = new Option<int>("--top-k") { Description = "k of the top-k accuracy", DefaultValueFactory = _ => 5 };
        var metrics = new Option<string?>("--metrics-json") { Description = "Write the metrics (confusion matrix included) as JSON" };
        var plots = new Option<string?>("--plots") { Description = "Directory for the confusion-matrix heatmap and weight pictures" };
        var command = new Command("eval", "Evaluate a model on labelled data") { input.Model, input.Data, input.Format, input.Label, topK, metrics, plots };
        command.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            var (m, _, rows, name, unseen) = input.Load(parse);
            var e = Evaluation.Run(m, rows, TopK(parse.GetValue(topK)), unseen);
            if (parse.GetValue(metrics) is { } path) JsonOut.WriteFile(path, w => w.Evaluation(e));
            if (parse.GetValue(plots) is { } dir)
            {
                ConfusionHeatmap.Save(e, dir, $"{name}: confusion matrix");
                WeightPictures.Save(m, dir, $"{name}: learned weights per class");
            }
            Show(ui, e, name);
            return 0;
        }));
        return command;
    }

    /// <summary>--top-k, checked: at least 1.</summary>
    public static int TopK(int k) => k >= 1 ? k : throw new UsageException("--top-k must be at least 1.");

    /// <summary>A feature-count mismatch is an input error naming the data.</summary>
    public static void CheckFeatures(SoftmaxModel model, Dataset data, string source)
    {
        if (data.FeatureCount != model.Features)
            throw new DataFormatException(source, null, $"expected {model.Features} features per row (the model's), found {data.FeatureCount}");
    }

    /// <summary>The scores that eval prints and report tabulates, as (name, value with 4 decimals).</summary>
    public static List<(string, string)> Scores(Evaluation e)
    {
        var rows = new List<(string, string)> { ("accuracy", Ui.F(e.Metrics.Accuracy, "F4")) };
        if (e.Metrics.K is { } k) rows.Add(($"top-{k} accuracy", Ui.F(e.Metrics.TopKAccuracy ?? double.NaN, "F4")));
        rows.Add(("log-loss", Ui.F(e.Metrics.LogLoss, "F4")));
        rows.Add(("Brier score", Ui.F(e.Metrics.BrierScore, "F4")));
        rows.Add(("macro F1", Ui.F(e.Metrics.Macro.F1, "F4")));
        rows.Add(("weighted F1", Ui.F(e.Metrics.Weighted.F1, "F4")));
        if (e.Metrics.Binary is { } b)
        {
            rows.Add(($"ROC AUC ({e.Classes[1]})", Ui.F(b.RocAuc, "F4")));
            rows.Add(($"average precision ({e.Classes[1]})", Ui.F(b.AveragePrecision, "F4")));
        }
        return rows;
    }

    /// <summary>Prints the summary, the per-class table and the confusion matrix.</summary>
    public static void Show(Ui ui, Evaluation e, string name)
    {
        var rows = new List<(string, string)> { ("rows", Ui.I(e.Metrics.Rows)) };
        rows.AddRange(Scores(e));
        rows.Add(("unknown labels", Ui.I(e.Metrics.UnknownLabels)));
        rows.Add(("unseen categories", Ui.I(e.UnseenCategories)));
        ui.Summary($"evaluation on {name}", rows);
        ui.Table("per-class scores", ["class", "precision", "recall", "f1", "support"],
            e.Metrics.PerClass.Select(c => (IReadOnlyList<string>)[c.Name, Ui.F(c.Precision, "F4"), Ui.F(c.Recall, "F4"), Ui.F(c.F1, "F4"), Ui.I(c.Support)]));
        int C = e.Classes.Length;
        if (C > 30) { ui.Note("(confusion matrix omitted on the terminal: more than 30 classes; see --metrics-json)"); return; }
        ui.Table("confusion matrix (rows: true, columns: predicted)", ["true\\pred", .. e.Classes],
            Enumerable.Range(0, C).Select(i => (IReadOnlyList<string>)[e.Classes[i], .. Enumerable.Range(0, C).Select(j => Ui.I(e.Metrics.Confusion[i, j]))]));
    }
}

/// <summary>The flags of <c>eval</c> and <c>report</c> that name a model and the labelled rows to score it on.</summary>
public sealed class ScoredData() : DataFlags("Dataset name (its test split) or a file/directory", "CSV label column, by name or index")
{
    /// <summary>--model.</summary>
    public Option<string> Model { get; } = new("--model") { Description = "Model file", DefaultValueFactory = _ => "model.softmax" };

    /// <summary>
    /// The model and the rows to score (read for the model's input schema, their feature count checked), the rows'
    /// name for titles and the count of category values the model has not seen.
    /// </summary>
    public (SoftmaxModel Model, string ModelPath, Dataset Rows, string Name, int Unseen) Load(ParseResult parse)
    {
        string path = parse.GetValue(Model)!;
        var m = ModelFile.Load(path);
        var source = Source(parse);
        var rows = source.LoadForEvaluation(m.Schema, out int unseen);
        EvalCommand.CheckFeatures(m, rows, source.Spec);
        return (m, path, rows, rows.Name ?? source.Spec, unseen);
    }
}

using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Output;
using Softmax.Cli.Plots;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax report</c>: one self-contained HTML page (pictures embedded as base64 PNG) with the metrics, the
/// model's settings, the weight pictures, the confusion matrix, a per-class table and a gallery of the test
/// examples the model got wrong most confidently.
/// </summary>
public static class ReportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var input = new ScoredData();
        var output = new Option<string>("--out") { Description = "The HTML file to write", DefaultValueFactory = _ => "report.html" };
        var gallery = new Option<int>("--gallery") { Description = "How many confidently wrong examples to show", DefaultValueFactory = _ => 24 };
        var command = new Command("report", "Write a self-contained HTML report of a model on labelled data")
            { input.Model, input.Data, input.Format, input.Label, output, gallery };
        command.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            var (m, modelPath, rows, name, unseen) = input.Load(parse);
            string outPath = parse.GetValue(output)!;
            var e = Evaluation.Run(m, rows, unseenCategories: unseen);
            AtomicFile.WriteText(outPath, Page(m, Path.GetFileName(modelPath), rows, name, e, parse.GetValue(gallery)));
            ui.Result($"wrote {outPath}");
            return 0;
        }));
        return command;
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string Img(byte[] png, string alt) => $"<img alt=\"{H(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";

    /// <summary>A table row of <paramref name="cells"/>, HTML-encoded, each in a <paramref name="tag"/> (td or th) element.</summary>
    private static void Row(StringBuilder html, string tag, params string[] cells) =>
        html.Append("<tr>").AppendJoin("", cells.Select(c => $"<{tag}>{H(c)}</{tag}>")).Append("</tr>");

    private static string Page(SoftmaxModel m, string modelFile, Dataset rows, string name, Evaluation e, int gallery)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>softmax report: ").Append(H(name)).Append("</title>\n")
            .Append("<style>body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em;max-width:1100px;color:#222}")
            .Append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
            .Append("th{background:#eef}td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}</style></head><body>\n");
        html.Append("<h1>softmax report</h1>\n<p>Model <code>").Append(H(modelFile)).Append("</code> evaluated on <b>")
            .Append(H(name)).Append("</b> (").Append(Ui.I(e.Metrics.Rows)).Append(" rows).</p>\n");
        html.Append("<h2>Metrics</h2><table>");
        var t = m.Training;
        foreach (var (key, value) in EvalCommand.Scores(e).Concat([("classes", Ui.I(m.Classes)), ("features", Ui.I(m.Features)), ("solver", t.Solver),
                     ("λ2", Ui.F(t.L2)), ("λ1", Ui.F(t.L1)), ("objective F", Ui.F(t.Objective, "R")), ("iterations", Ui.I(t.Iterations)),
                     ("stop reason", t.StopReason), ("preprocessing", m.Preprocessor.Kind.ToString())])
                     .Concat(t.Settings.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value))))
            Row(html, "td", key, value);
        html.Append("</table>\n");
        if (t.History.Count > 0)
        {
            bool byIteration = t.Epochs is null;   // L-BFGS counts evaluations, not epochs
            var (lossPng, accuracyPng) = LearningCurves.Png(t.History, [], byIteration, name);
            html.Append("<h2>Learning curves</h2><p>Recorded while training (stored in the model): training loss")
                .Append(byIteration ? " as F − F_final" : "").Append(" on a log axis, and validation loss and accuracy when a validation split was held out.</p>")
                .Append(Img(lossPng, "loss curve")).Append(Img(accuracyPng, "accuracy curve")).Append('\n');
        }
        if (WeightPictures.Of(m, "learned weights per class") is { } weights)
            html.Append("<h2>Learned weights</h2><p>Each class's weights drawn as an image on one scale shared by all classes: red pushes towards the class, blue away, white is 0 (the colour bar gives the values, in preprocessed units).</p>")
                .Append(Img(PlotCanvas.Png(weights), "learned weights")).Append('\n');
        html.Append("<h2>Largest weights per class</h2><p>By feature name, in preprocessed (standardized) units.</p><table><tr><th>class</th><th>features</th></tr>");
        foreach (var (cls, text) in Coefficients.Lines(m, 8))
            html.Append("<tr><td>").Append(H(cls)).Append("</td><td style=\"text-align:left\">").Append(H(text)).Append("</td></tr>");
        html.Append("</table>\n");
        html.Append("<h2>Confusion matrix</h2>").Append(Img(PlotCanvas.Png(ConfusionHeatmap.Of(e, $"{name}: confusion matrix")), "confusion matrix")).Append('\n');
        html.Append("<h2>Per class</h2><table>");
        Row(html, "th", "class", "precision", "recall", "F1", "support");
        foreach (var c in e.Metrics.PerClass) Row(html, "td", c.Name, Ui.F(c.Precision, "F4"), Ui.F(c.Recall, "F4"), Ui.F(c.F1, "F4"), Ui.I(c.Support));
        html.Append("</table>\n");
        AppendGallery(html, e, rows, m, gallery);
        return html.Append("<p style=\"color:#888\">Written by softmax report.</p></body></html>\n").ToString();
    }

    private static void AppendGallery(StringBuilder html, Evaluation e, Dataset rows, SoftmaxModel m, int count)
    {
        var shape = ImageLayout.Of(rows.Image ?? m.Image, rows.FeatureCount);
        int C = e.Classes.Length;
        float P(int i) => e.Probabilities[i * C + e.Metrics.Predicted[i]];
        string Truth(int i) => e.Truth[i] < 0 ? rows.ClassNames[rows.Labels[i]] : e.Classes[e.Truth[i]];
        var wrong = Enumerable.Range(0, e.Metrics.Rows).Where(i => e.Metrics.Predicted[i] != e.Truth[i])
            .OrderByDescending(P).Take(Math.Max(0, count)).ToArray();
        html.Append("<h2>Most confidently wrong</h2>\n");
        if (wrong.Length == 0) { html.Append("<p>No mistakes.</p>\n"); return; }
        if (shape is null)
        {
            html.Append("<table>");
            Row(html, "th", "row", "true", "predicted", "p(predicted)");
            foreach (var i in wrong)
                Row(html, "td", Ui.I(i), Truth(i), e.Classes[e.Metrics.Predicted[i]], P(i).ToString("F3", CultureInfo.InvariantCulture));
            html.Append("</table>\n");
            return;
        }
        var row = new float[rows.FeatureCount];
        var tiles = new List<Tile>();
        foreach (var i in wrong)
        {
            rows.Features.CopyRow(i, row);
            tiles.Add(new Tile(ImageLayout.ToRgb(Array.ConvertAll(row, v => (double)v), shape), $"true {Truth(i)}",
                $"said {e.Classes[e.Metrics.Predicted[i]]} ({P(i).ToString("F2", CultureInfo.InvariantCulture)})"));
        }
        html.Append("<p>Test rows the model got wrong, most confident first: the true label, then what it said with its probability.</p>")
            .Append(Img(PlotCanvas.Png(TileGrid.Of(shape, tiles, Math.Min(6, tiles.Count), null)), "most confidently wrong examples")).Append('\n');
    }
}

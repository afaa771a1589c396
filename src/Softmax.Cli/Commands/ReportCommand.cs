using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Cli.Plots;
using Softmax.IO;

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
        {
            input.Model, input.Data, input.Format, input.Label, output, gallery,
        };
        command.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            var (m, modelPath, rows, name, unseen) = input.Load(parse);
            var e = Evaluation.Run(m, rows, unseenCategories: unseen);
            var html = new StringBuilder();
            string H(string s) => WebUtility.HtmlEncode(s);
            string F(double v) => Output.Ui.F(v, "F4");
            string Img(byte[] png, string alt) => $"<img alt=\"{H(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";
            html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>softmax report: ").Append(H(name)).Append("</title>\n")
                .Append("<style>body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em;max-width:1100px;color:#222}")
                .Append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
                .Append("th{background:#eef}td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}</style></head><body>\n");
            html.Append("<h1>softmax report</h1>\n<p>Model <code>").Append(H(Path.GetFileName(modelPath))).Append("</code> evaluated on <b>")
                .Append(H(name)).Append("</b> (").Append(e.Metrics.Rows.ToString(CultureInfo.InvariantCulture)).Append(" rows).</p>\n");
            html.Append("<h2>Metrics</h2><table>");
            void Row(string k, string v) => html.Append("<tr><td>").Append(H(k)).Append("</td><td>").Append(H(v)).Append("</td></tr>");
            foreach (var (key, value) in EvalCommand.Scores(e)) Row(key, value);
            Row("classes", m.Classes.ToString(CultureInfo.InvariantCulture));
            Row("features", m.Features.ToString(CultureInfo.InvariantCulture));
            Row("solver", m.Training.Solver);
            Row("λ2", Output.Ui.F(m.Training.L2));
            Row("λ1", Output.Ui.F(m.Training.L1));
            Row("objective F", Output.Ui.F(m.Training.Objective, "R"));
            Row("iterations", m.Training.Iterations.ToString(CultureInfo.InvariantCulture));
            Row("stop reason", m.Training.StopReason);
            Row("preprocessing", m.Preprocessor.Kind.ToString());
            foreach (var (key, value) in m.Training.Settings.OrderBy(p => p.Key, StringComparer.Ordinal)) Row(key, value);
            html.Append("</table>\n");
            if (m.Training.History.Count > 0)
            {
                bool byIteration = m.Training.Epochs is null;   // L-BFGS counts evaluations, not epochs
                var (lossPng, accuracyPng) = LearningCurves.Png(m.Training.History, [], byIteration, name);
                html.Append("<h2>Learning curves</h2><p>Recorded while training (stored in the model): training loss")
                    .Append(byIteration ? " as F − F_final" : "").Append(" on a log axis, and validation loss and accuracy when a validation split was held out.</p>")
                    .Append(Img(lossPng, "loss curve")).Append(Img(accuracyPng, "accuracy curve")).Append('\n');
            }
            if (WeightPictures.Png(m, "learned weights per class") is { } weights)
                html.Append("<h2>Learned weights</h2><p>Each class's weights drawn as an image on one scale shared by all classes: red pushes towards the class, blue away, white is 0 (the colour bar gives the values, in preprocessed units).</p>")
                    .Append(Img(weights, "learned weights")).Append('\n');
            html.Append("<h2>Largest weights per class</h2><p>By feature name, in preprocessed (standardized) units.</p><table><tr><th>class</th><th>features</th></tr>");
            foreach (var (cls, text) in Output.Coefficients.Lines(m, 8))
                html.Append("<tr><td>").Append(H(cls)).Append("</td><td style=\"text-align:left\">").Append(H(text)).Append("</td></tr>");
            html.Append("</table>\n");
            html.Append("<h2>Confusion matrix</h2>").Append(Img(ConfusionHeatmap.Png(e, $"{name}: confusion matrix"), "confusion matrix")).Append('\n');
            html.Append("<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>");
            foreach (var c in e.Metrics.PerClass)
                html.Append("<tr><td>").Append(H(c.Name)).Append("</td><td>").Append(F(c.Precision)).Append("</td><td>").Append(F(c.Recall))
                    .Append("</td><td>").Append(F(c.F1)).Append("</td><td>").Append(c.Support.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>");
            html.Append("</table>\n");
            AppendGallery(html, e, rows, m, parse.GetValue(gallery), Img);
            html.Append("<p style=\"color:#888\">Written by softmax report.</p></body></html>\n");
            string outPath = parse.GetValue(output)!;
            AtomicFile.WriteText(outPath, html.ToString());
            ui.Result($"wrote {outPath}");
            return 0;
        }));
        return command;
    }

    private static void AppendGallery(StringBuilder html, Evaluation e, Data.Dataset rows, Model.SoftmaxModel m, int count, Func<byte[], string, string> img)
    {
        var shape = ImageLayout.Of(rows.Image ?? m.Image, rows.FeatureCount);
        int C = e.Classes.Length;
        var wrong = Enumerable.Range(0, e.Metrics.Rows).Where(i => e.Metrics.Predicted[i] != e.Truth[i])
            .OrderByDescending(i => e.Probabilities[i * C + e.Metrics.Predicted[i]]).Take(Math.Max(0, count)).ToArray();
        html.Append("<h2>Most confidently wrong</h2>\n");
        if (wrong.Length == 0) { html.Append("<p>No mistakes.</p>\n"); return; }
        var row = new float[rows.FeatureCount];
        if (shape is null)
        {
            html.Append("<table><tr><th>row</th><th>true</th><th>predicted</th><th>p(predicted)</th></tr>");
            foreach (var i in wrong)
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{i}</td><td>{WebUtility.HtmlEncode(e.Truth[i] < 0 ? rows.ClassNames[rows.Labels[i]] : e.Classes[e.Truth[i]])}</td><td>{WebUtility.HtmlEncode(e.Classes[e.Metrics.Predicted[i]])}</td><td>{e.Probabilities[i * C + e.Metrics.Predicted[i]]:F3}</td></tr>");
            html.Append("</table>\n");
            return;
        }
        var tiles = new List<Tile>();
        foreach (var i in wrong)
        {
            rows.Features.CopyRow(i, row);
            var pixels = Array.ConvertAll(row, v => (double)v);
            string truth = e.Truth[i] < 0 ? rows.ClassNames[rows.Labels[i]] : e.Classes[e.Truth[i]];
            tiles.Add(new Tile(ImageLayout.ToRgb(pixels, shape), $"true {truth}",
                $"said {e.Classes[e.Metrics.Predicted[i]]} ({e.Probabilities[i * C + e.Metrics.Predicted[i]].ToString("F2", CultureInfo.InvariantCulture)})"));
        }
        int columns = Math.Min(6, tiles.Count);
        var (w, h, _) = TileGrid.Measure(shape, tiles.Count, columns, null);
        html.Append("<p>Test rows the model got wrong, most confident first: the true label, then what it said with its probability.</p>")
            .Append(img(PlotCanvas.Png(w, h, c => TileGrid.Draw(c, shape, tiles, columns, null)), "most confidently wrong examples")).Append('\n');
    }
}

using System.Buffers.Binary;
using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax info</c>: what a model file holds, with a SHA-256 of the parameters ("weights sha256"): two trainings with
/// the same data, seed and threads give the same hash, while the file bytes differ (they record the training time).
/// </summary>
public static class InfoCommand
{
    private const int MaxColumns = 40;

    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var model = new Option<string>("--model") { Description = "Model file", DefaultValueFactory = _ => "model.softmax" };
        var command = new Command("info", "Show a model's classes, shapes, preprocessing, training settings and file version") { model };
        command.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            string path = parse.GetValue(model)!;
            var m = ModelFile.Load(path);
            var t = m.Training;
            var rows = new List<(string, string)>
            {
                ("file", path),
                ("file version", Ui.I(m.HasSchema ? 2 : 1)),
                ("file bytes", Ui.I(new FileInfo(path).Length)),
                ("classes", Ui.I(m.Classes)),
                ("class names", string.Join(", ", m.ClassNames.Take(20).Select(n => DisplayText.Of(n))) + (m.Classes > 20 ? ", …" : "")),
                ("features", Ui.I(m.Features)),
                ("parameters", Ui.I((long)m.Classes * m.Features + m.Classes)),
                ("weights sha256", WeightsHash(m)),
                ("image", m.Image is { } im ? $"{im.Height}x{im.Width}x{im.Channels}{(im.Channels > 1 ? (im.ChannelPlanar ? " planar" : " interleaved") : "")}" : "none"),
                ("preprocessing", $"{m.Preprocessor.Kind} (scale {Ui.F(m.Preprocessor.Scale)})"),
                ("solver", t.Solver),
                ("l2", Ui.F(t.L2)),
                ("l1", Ui.F(t.L1)),
                ("objective", Ui.F(t.Objective, "R")),
                ("training rows", Ui.I(t.Rows)),
                ("iterations", Ui.I(t.Iterations)),
                t.Evaluations is { } n ? ("evaluations", Ui.I(n)) : ("epochs", Ui.I(t.Epochs ?? 0)),
                ("stop reason", t.StopReason),
                ("seed", Ui.I(t.Seed)),
                ("train seconds", Ui.F(t.Seconds, "F3")),
            };
            rows.AddRange(t.Settings.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ($"setting {p.Key}", p.Value)));
            ui.Summary("model", rows);
            var schema = m.Schema;
            ui.Table($"input columns ({(schema.Named ? "matched by name" : "matched by position")}{(schema.NanIsMissing ? "; NaN is missing" : "")})",
                ["column", "kind", "features", "missing →", "indicator"],
                schema.Columns.Take(MaxColumns).Select(c => (IReadOnlyList<string>)[DisplayText.Of(c.Name), c.Kind.ToString().ToLowerInvariant(),
                    c.Kind == ColumnKind.Numeric ? "1" : $"{c.Categories.Count} ({DisplayText.Of(string.Join(", ", c.Categories), 60)})",
                    c.Kind == ColumnKind.Numeric ? Ui.F(c.Fill) : c.FillCategory >= 0 ? DisplayText.Of(c.Categories[c.FillCategory]) : "all zero",
                    c.MissingIndicator ? "yes" : "no"]));
            if (schema.Columns.Count > MaxColumns) ui.Note($"({schema.Columns.Count - MaxColumns} more columns)");
            ui.Table("largest weights per class (preprocessed units)", ["class", "features"],
                Coefficients.Lines(m).Select(p => (IReadOnlyList<string>)[DisplayText.Of(p.Class), p.Text]));
            return 0;
        }));
        return command;
    }

    /// <summary>SHA-256 of θ = [W, b] as little-endian IEEE-754 doubles, lower-case hex.</summary>
    public static string WeightsHash(SoftmaxModel model)
    {
        var theta = model.Parameters;
        var bytes = new byte[theta.Length * sizeof(double)];
        for (int i = 0; i < theta.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * sizeof(double)), theta[i]);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}

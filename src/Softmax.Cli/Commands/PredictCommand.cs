using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Metrics;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax predict</c>: label, probability and top-k for each input row, as CSV or JSON lines. CSV input and
/// stdin stream row by row; other formats are read whole and predicted in blocks. Output to a file is written
/// to a temporary name and renamed at the end, so an error leaves no partial file.
/// </summary>
public static class PredictCommand
{
    /// <summary>
    /// --format is the input format in every command; before it was predict's output format, so "json" (never an
    /// input format) is answered with the flag that took its place.
    /// </summary>
    private static void InputFormatIsNotOutput(System.CommandLine.Parsing.OptionResult result)
    {
        string value = result.GetValueOrDefault<string>() ?? "auto";
        if (value == "json")
            result.AddError("--format is the input format (as in every command); predict's output format is --output-format: give --output-format json.");
        else if (!DataSource.FormatNames.Contains(value))
            result.AddError($"--format: '{value}' is not one of {string.Join(", ", DataSource.FormatNames)}.{Suggest.Hint(value, DataSource.FormatNames)}");
    }

    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var model = new Option<string>("--model") { Description = "Model file", DefaultValueFactory = _ => "model.softmax" };
        var data = new Option<string>("--data") { Description = "Input: a file in any supported format, a dataset name (its test split), or - for CSV on stdin", DefaultValueFactory = _ => "-" };
        var inputFormat = new Option<string>("--format", "--input-format") { Description = "Input format (as in every command)", DefaultValueFactory = _ => "auto" };
        inputFormat.Validators.Add(InputFormatIsNotOutput);
        var label = new Option<string?>("--label-column") { Description = "Label column of CSV input, when it has one (default: the last, if there is one more column than features)" };
        var id = new Option<string?>("--id-column") { Description = "CSV column of row ids, copied into the predictions" };
        var output = new Option<string?>("--output", "-o") { Description = "Output file (default: stdout)" };
        var topK = new Option<int>("--top-k") { Description = "How many most probable classes to list", DefaultValueFactory = _ => 1 };
        var format = new Option<string>("--output-format") { Description = "Output format: csv or json (one object per line)", DefaultValueFactory = _ => "csv" }.AcceptOnlyFromAmong("csv", "json");
        var command = new Command("predict", "Predict labels and probabilities for new rows") { model, data, inputFormat, label, id, output, topK, format };
        command.SetAction(parse => global.Run(parse, (ui, token) =>
        {
            var m = ModelFile.Load(parse.GetValue(model)!);
            int k = Math.Min(EvalCommand.TopK(parse.GetValue(topK)), m.Classes);
            bool json = parse.GetValue(format) == "json";
            string input = parse.GetValue(data)!;
            var source = new DataSource(input, DataSource.ParseFormat(parse.GetValue(inputFormat)), parse.GetValue(label));
            bool stream = input == "-" || source.IsCsvFile;
            if (input == "-" && !Console.IsInputRedirected)
                Console.Error.WriteLine($"softmax: reading CSV rows ({m.Features} values each) from the terminal; end with Ctrl+D, or give --data FILE.");
            string? outPath = parse.GetValue(output);
            PredictionWriter? sink = null;
            void Write(Stream s)
            {
                // Flushed only at the end, never on an error (not disposed): stdout gets no more of a failed run than its buffer passed on.
                var writer = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                sink = new PredictionWriter(writer, m, k, json);
                if (stream) PredictCsv(sink, m, input, parse.GetValue(label), parse.GetValue(id), token);
                else PredictLoaded(sink, m, source, token);
                writer.Flush();
            }
            if (outPath is null)
            {
                Write(Console.OpenStandardOutput());
                return 0;
            }
            AtomicFile.WriteStream(outPath, Write);
            ui.Note($"wrote {sink!.Count} predictions to {outPath}" +
                    (sink.Unseen > 0 ? $" ({sink.Unseen} categorical values not seen in training, encoded as all zero)" : ""));
            return 0;
        }));
        return command;
    }

    /// <summary>CSV rows (a file or stdin), read and predicted one at a time.</summary>
    private static void PredictCsv(PredictionWriter sink, SoftmaxModel m, string input, string? label, string? id, CancellationToken token)
    {
        string name = input == "-" ? "<stdin>" : input;
        var binder = new CsvInput(m, name, label, id);
        var row = new float[m.Features];
        var p = new float[m.Classes];
        bool Visit(IReadOnlyList<string> fields, long line)
        {
            token.ThrowIfCancellationRequested();
            if (!binder.Bound && binder.Bind(fields)) { sink.Begin(binder.HasLabels, binder.IdName); return true; }
            if (!sink.Started) sink.Begin(binder.HasLabels, binder.IdName);
            sink.Unseen += binder.Row(fields, line, row, out string? truth, out string? rowId);
            m.PredictProba(row, p);
            sink.Row(p, truth, rowId);
            return true;
        }
        if (input == "-")
            using (var stdin = Console.OpenStandardInput()) CsvRecords.Read(stdin, name, null, Visit);
        else CsvRecords.Read(input, null, Visit);
        if (!binder.Bound) throw new DataFormatException(name, null, "expected CSV rows, found an empty input");
        if (!sink.Started) sink.Begin(binder.HasLabels, binder.IdName);
    }

    /// <summary>Rows of any other format (or a dataset's test split), loaded whole and predicted in blocks.</summary>
    private static void PredictLoaded(PredictionWriter sink, SoftmaxModel m, DataSource source, CancellationToken token)
    {
        var set = source.LoadForEvaluation();
        EvalCommand.CheckFeatures(m, set, source.Spec);
        sink.Begin(hasTruth: true, null);
        const int Block = 4096;
        for (int start = 0; start < set.Rows; start += Block)
        {
            token.ThrowIfCancellationRequested();
            var block = set.Slice(start, Math.Min(Block, set.Rows - start));
            var p = m.PredictProba(block);
            for (int i = 0; i < block.Rows; i++) sink.Row(p.AsSpan(i * m.Classes, m.Classes), block.ClassNames[block.Labels[i]], null);
        }
    }

    /// <summary>Formats predictions as CSV rows or JSON lines.</summary>
    private sealed class PredictionWriter(TextWriter writer, SoftmaxModel model, int k, bool json)
    {
        private bool _truth;
        private string? _idName;

        public bool Started { get; private set; }

        /// <summary>Rows written so far.</summary>
        public long Count { get; private set; }

        /// <summary>Categorical values not seen in training, counted by the caller.</summary>
        public long Unseen { get; set; }

        public void Begin(bool hasTruth, string? idName)
        {
            (Started, _truth, _idName) = (true, hasTruth, idName);
            if (json) return;
            writer.Write("row");
            if (idName is not null) Field(idName);
            writer.Write(hasTruth ? ",label,probability,true_label" : ",label,probability");
            for (int i = 1; i <= k; i++) writer.Write(string.Create(CultureInfo.InvariantCulture, $",top{i}_label,top{i}_probability"));
            writer.WriteLine();
        }

        public void Row(ReadOnlySpan<float> probabilities, string? truth, string? id)
        {
            long index = Count++;
            var top = SoftmaxModel.TopKOf(probabilities, k);
            string P(float v) => v.ToString("R", CultureInfo.InvariantCulture);
            if (json)
            {
                using var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer))
                {
                    w.WriteStartObject();
                    w.WriteNumber("row", index);
                    if (_idName is not null) w.WriteString(_idName, id);
                    w.WriteString("label", model.ClassNames[top[0].Class]);
                    w.WriteNumber("probability", top[0].Probability);
                    if (_truth && truth is not null) w.WriteString("true_label", truth);
                    w.Objects("top", top, t =>
                    {
                        w.WriteString("label", model.ClassNames[t.Class]);
                        w.WriteNumber("probability", t.Probability);
                    });
                    w.WriteEndObject();
                }
                writer.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
                return;
            }
            writer.Write(index.ToString(CultureInfo.InvariantCulture));
            if (_idName is not null) Field(id ?? "");
            Field(model.ClassNames[top[0].Class]);
            Field(P(top[0].Probability));
            if (_truth) Field(truth ?? "");
            foreach (var (c, p) in top)
            {
                Field(model.ClassNames[c]);
                Field(P(p));
            }
            writer.WriteLine();
        }

        /// <summary>Writes ",field", quoted when it holds a comma, a quote or a line break (straight to the writer: this runs per row).</summary>
        private void Field(string s)
        {
            writer.Write(',');
            if (s.AsSpan().IndexOfAny(",\"\n\r") < 0)
            {
                writer.Write(s);
                return;
            }
            writer.Write('"');
            writer.Write(s.Replace("\"", "\"\"", StringComparison.Ordinal));
            writer.Write('"');
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.Onnx.Tests;

/// <summary>
/// A model with numeric, categorical and missing values (imputed, with indicators) exported with its featurization:
/// one input per raw column, run in ONNX Runtime, gives the model's probabilities and labels (unseen categories too).
/// </summary>
public sealed class TabularOnnxTests
{
    private static readonly string[] Colors = ["red", "green", "blue", "violet"];

    /// <summary>Rows of (x1, x2, color, size) with missing values and a label that depends on all of them.</summary>
    private static string Csv(int rows, int seed)
    {
        var rng = new Random(seed);
        var s = new StringBuilder("x1,x2,color,size,label\n");
        for (int i = 0; i < rows; i++)
        {
            double x1 = rng.NextDouble() * 4 - 2, x2 = rng.NextDouble() * 10;
            string color = Colors[rng.Next(Colors.Length)], size = rng.Next(2) == 0 ? "S" : "L";
            double score = 1.5 * x1 - 0.3 * (x2 - 5) + (color == "red" ? 1 : color == "blue" ? -1 : 0) + (size == "L" ? 0.5 : 0) + rng.NextDouble() - 0.5;
            string label = score > 0.7 ? "high" : score < -0.7 ? "low" : "mid";
            string F(double v) => rng.NextDouble() < 0.1 ? (rng.Next(2) == 0 ? "" : "NA") : v.ToString("R", CultureInfo.InvariantCulture);
            s.Append(F(x1)).Append(',').Append(F(x2)).Append(',').Append(rng.NextDouble() < 0.1 ? "" : color).Append(',').Append(size).Append(',').Append(label).Append('\n');
        }
        return s.ToString();
    }

    [Theory]
    [InlineData(OnnxScorePrecision.Float64, 1e-6)]
    [InlineData(OnnxScorePrecision.Float32, 1e-5)]
    public void The_graph_featurizes_raw_columns_as_the_model_does(OnnxScorePrecision precision, double tolerance)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["train.csv"], Csv(400, 1));
        var table = TabularCsv.Read(dir["train.csv"]);
        var data = table.ToDataset(table.FitSchema(Enumerable.Range(0, table.Rows).ToArray(), missingIndicators: true), out _);
        var model = SoftmaxTrainer.Fit(data, new TrainingOptions { L2 = 1e-3 }).Model;
        Assert.False(model.Schema.IsIdentity);
        OnnxExporter.Export(model, dir["m.onnx"], precision: precision);

        // Rows to score: fresh ones, plus an unseen colour and every missing spelling.
        var rows = new List<string[]>();
        CsvRecords.Read(new MemoryStream(Encoding.UTF8.GetBytes(Csv(150, 2))), "test", null, (f, line) => { if (line > 1) rows.Add([f[0], f[1], f[2], f[3]]); return true; });
        rows.Add(["0.5", "NA", "purple", "S"]);
        rows.Add(["", "3", "NA", "L"]);
        int n = rows.Count, C = model.Classes;
        var numeric = new[] { new float[n], new float[n] };
        var strings = new[] { new string[n], new string[n] };
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 2; j++) numeric[j][i] = InputSchema.IsMissing(rows[i][j], false) ? float.NaN : float.Parse(rows[i][j], CultureInfo.InvariantCulture);
            strings[0][i] = rows[i][2];
            strings[1][i] = rows[i][3];
        }
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(dir["m.onnx"], options);
        Assert.Equal(["x1", "x2", "color", "size"], session.InputMetadata.Keys.Order(Comparer<string>.Create((a, b) => Array.IndexOf(new[] { "x1", "x2", "color", "size" }, a) - Array.IndexOf(new[] { "x1", "x2", "color", "size" }, b))));
        using var x1 = OrtValue.CreateTensorValueFromMemory(numeric[0], [n, 1]);
        using var x2 = OrtValue.CreateTensorValueFromMemory(numeric[1], [n, 1]);
        using var color = OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(strings[0], [n, 1]));
        using var size = OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(strings[1], [n, 1]));
        using var run = new RunOptions();
        using var results = session.Run(run, ["x1", "x2", "color", "size"], [x1, x2, color, size], ["probabilities", "label"]);
        var p = results[0].GetTensorDataAsSpan<float>().ToArray();
        var labels = results[1].GetStringTensorAsArray();

        var features = new float[model.Features];
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            model.Schema.Encode(rows[i], [0, 1, 2, 3], features, "test", i + 2);
            var ours = model.PredictProba(features);
            for (int c = 0; c < C; c++) worst = Math.Max(worst, Math.Abs(ours[c] - p[i * C + c]));
            Assert.Equal(model.PredictLabel(features), labels[i]);
        }
        Assert.True(worst <= tolerance, $"ONNX Runtime and the model differ by {worst:E3}");
    }

    /// <summary>
    /// scikit-learn's tabular sets written with a header and string labels: a model with named columns keeps the single
    /// "input" tensor (columns in the model's order) and agrees with ONNX Runtime on every row.
    /// </summary>
    [Theory]
    [InlineData("iris")]
    [InlineData("wine")]
    [InlineData("breast_cancer")]
    public void Named_tabular_models_agree_with_onnx_runtime(string name)
    {
        using var dir = new TempDir();
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        foreach (var a in new[] { "-c", """
            import csv, sys
            from sklearn import datasets
            d = getattr(datasets, "load_" + sys.argv[1])()
            with open(sys.argv[2], "w", newline="") as f:
                w = csv.writer(f); w.writerow([c.replace(" ", "_") for c in d.feature_names] + ["target"])
                w.writerows([[repr(float(v)) for v in x] + [str(d.target_names[t])] for x, t in zip(d.data, d.target)])
            """.Replace("\r", ""), name, dir["data.csv"] }) psi.ArgumentList.Add(a);
        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, err);
        }
        var table = TabularCsv.Read(dir["data.csv"]);
        var data = table.ToDataset(table.FitSchema(Enumerable.Range(0, table.Rows).ToArray()), out _);
        var model = SoftmaxTrainer.Fit(data, new TrainingOptions { L2 = 1e-4 }).Model;
        Assert.True(model.Schema.IsIdentity && model.Schema.Named);
        Assert.Equal(PreprocessKind.Standardize, model.Preprocessor.Kind);
        OnnxExporter.Export(model, dir["m.onnx"]);
        using var ort = new OnnxRunner(dir["m.onnx"]);
        Assert.Equal(model.Schema.FeatureNames, JsonSerializer.Deserialize<string[]>(ort.Metadata["softmax.feature_names"]));
        var (p2, labels) = ort.Run(OnnxRunner.Rows(data, 0, data.Rows), data.Rows, data.FeatureCount);
        var row = new float[data.FeatureCount];
        for (int i = 0; i < data.Rows; i++)
        {
            data.Features.CopyRow(i, row);
            var ours = model.PredictProba(row);
            for (int c = 0; c < model.Classes; c++) Assert.True(Math.Abs(ours[c] - p2[i * model.Classes + c]) <= 1e-6);
            Assert.Equal(model.PredictLabel(row), labels[i]);
        }
    }
}

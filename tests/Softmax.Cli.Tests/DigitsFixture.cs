using System.Globalization;
using System.Text;
using System.Text.Json;
using Softmax.Data;

namespace Softmax.Cli.Tests;

/// <summary>Trains the default job once (digits, L-BFGS, plots and metrics) for the tests that use its outputs.</summary>
public sealed class DigitsFixture : IDisposable
{
    public DigitsFixture()
    {
        // Pinned to raw pixels and λ2 = 1e-4 (the defaults before digits was scaled by 1/16 with λ2 = 2e-4), the run the
        // tests' expected values describe; CourseDefaultsAndTuneTests checks the current defaults.
        Train = Cli.Ok(Dir.Path, "train", "--plots", "plots", "--metrics-json", "metrics.json", "--threads", "2", "--l2", "1e-4", "--preprocess", "none");
        Metrics = JsonDocument.Parse(File.ReadAllText(Dir["metrics.json"])).RootElement.Clone();
        WriteTestCsv(Dir["digits-test.csv"], NamedDatasets.Load("digits").Test);
    }

    public TempDir Dir { get; } = new();
    public CliResult Train { get; }
    public JsonElement Metrics { get; }
    public string Model => Dir["model.softmax"];

    /// <summary>Writes rows as CSV: the features, then the label in the last column, no header.</summary>
    public static void WriteTestCsv(string path, Dataset data)
    {
        var row = new float[data.FeatureCount];
        var text = new StringBuilder();
        for (int i = 0; i < data.Rows; i++)
        {
            data.Features.CopyRow(i, row);
            text.AppendJoin(',', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            text.Append(',').Append(data.ClassNames[data.Labels[i]]).Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }

    public void Dispose() => Dir.Dispose();
}

[CollectionDefinition("digits")]
public sealed class DigitsCollection : ICollectionFixture<DigitsFixture>;

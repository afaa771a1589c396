using System.Globalization;
using System.Text;
using CsCheck;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;
using Softmax.Tests.Data;
using Softmax.Tests.IO;
using Softmax.Tests.Model;
using static Softmax.Tests.Data.DataFixtures;

namespace Softmax.Tests.Fuzz;

/// <summary>
/// Time-bounded fuzzing (a few seconds each, CsCheck) of the text readers and the model loader, seeded from real
/// files: the embedded digits set rendered as CSV and LIBSVM, and a trained model. Every input ends in data or a
/// model, or in the reader's own exception; a loaded model predicts finite probabilities. A failing input is added
/// to tests/Softmax.Tests/corpus, which <see cref="CorpusTests"/> replays on every run.
/// </summary>
public class LoaderFuzzTests
{
    private const int Seconds = 3;

    private static readonly Lazy<Dataset> Digits = new(() => NamedDatasets.Load("digits", DataSplit.Train).Slice(0, 40));

    private static byte[] DigitsCsv()
    {
        var d = Digits.Value;
        var text = new StringBuilder("p0,p1,p2,p3,label\n");
        var row = new float[d.FeatureCount];
        for (int i = 0; i < d.Rows; i++)
        {
            d.Features.CopyRow(i, row);
            text.AppendJoin(',', row.Take(4).Select(v => v.ToString(CultureInfo.InvariantCulture))).Append(',').Append(d.ClassNames[d.Labels[i]]).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] DigitsLibSvm()
    {
        var d = Digits.Value;
        var text = new StringBuilder();
        var row = new float[d.FeatureCount];
        for (int i = 0; i < d.Rows; i++)
        {
            d.Features.CopyRow(i, row);
            text.Append(d.ClassNames[d.Labels[i]]);
            for (int j = 0; j < row.Length; j++) if (row[j] != 0) text.Append(' ').Append(j + 1).Append(':').Append(row[j].ToString(CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Fuzz(byte[] seed, string name, Func<string, Dataset> read)
    {
        using var dir = new TempDir();
        string p = dir.File(name);
        string gz = dir.File(name + ".gz");
        ReaderFuzzTests.Mutations.Sample(m =>
        {
            File.WriteAllBytes(p, ReaderFuzzTests.Mutate(seed, m));
            ReadOrRefuse(() => read(p));
            File.WriteAllBytes(gz, ReaderFuzzTests.Mutate(Gzip(seed), m));
            ReadOrRefuse(() => read(gz));
        }, time: Seconds, threads: 1);
    }

    private static void ReadOrRefuse(Func<Dataset> read)
    {
        try
        {
            var data = read();
            Assert.True(data.Rows > 0 && data.FeatureCount > 0);
        }
        catch (DataFormatException) { }
    }

    [Fact]
    public void LibSvm() => Fuzz(DigitsLibSvm(), "digits.svm", p => LibSvmReader.Read(p));

    [Fact]
    public void Csv() => Fuzz(DigitsCsv(), "digits.csv", p => CsvReader.Read(p));

    [Fact]
    public void Model_loader_refuses_or_loads_a_model_that_predicts_finitely()
    {
        var seed = ModelFile.Serialize(ModelFixtures.Tiny());
        var row = new[] { 3e38f, -1f, 0f, float.MaxValue };
        ReaderFuzzTests.Mutations.Select(Gen.Bool).Sample((m, reseal) =>
        {
            var bytes = ReaderFuzzTests.Mutate(seed, m);
            // Resealed: the checksum made valid again, so the content checks behind it are fuzzed too.
            if (reseal && bytes.Length > 8) bytes = HostileModelTests.Reseal(bytes);
            SoftmaxModel model;
            try { model = ModelFile.Deserialize(bytes, "fuzz.softmax"); }
            catch (ModelFormatException) { return; }
            var input = new float[model.Features];
            for (int i = 0; i < input.Length; i++) input[i] = row[i % row.Length];
            var p = model.PredictProba(input);
            Assert.All(p, v => Assert.True(float.IsFinite(v), $"probability {v}"));
            Assert.Equal(1, p.Sum(v => (double)v), 1e-5);
        }, time: Seconds, threads: 1);
    }
}

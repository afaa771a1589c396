using System.Buffers.Binary;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Tests.Data;

/// <summary>Tabular CSV: column kinds, roles, imputation and one-hot fitted on chosen rows, the schema in the model file.</summary>
public sealed class TabularCsvTests
{
    private const string Text = """
        id,age,color,size,target,w
        a,30,red,1.5,yes,1
        b,,blue,2.5,no,2
        c,50,red,NA,yes,1
        d,40,,3.5,no,0.5
        e,20,green,0.5,no,1
        """;

    [Fact]
    public void Kinds_roles_imputation_and_one_hot_follow_the_fitted_rows()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("t.csv", Text);
        var table = TabularCsv.Read(path, new TabularCsvOptions { IdColumn = "id", WeightColumn = "w" });
        Assert.Equal(["age", "color", "size"], table.Columns);
        Assert.Equal([ColumnKind.Numeric, ColumnKind.Categorical, ColumnKind.Numeric], table.Kinds);
        Assert.Equal("target", table.LabelColumn);
        Assert.True(table.LabelByName);
        Assert.Equal(["no", "yes"], table.ClassNames);
        Assert.Equal([1f, 2, 1, 0.5f, 1], table.Weights!);
        Assert.Equal(["a", "b", "c", "d", "e"], table.Ids!);

        // Fitted on rows 0, 1, 2, 4 only: row 3's 40 and its missing colour must not count.
        var schema = table.FitSchema([0, 1, 2, 4], missingIndicators: true);
        Assert.Equal((30f + 50 + 20) / 3, schema.Columns[0].Fill, 6);
        Assert.Equal(["blue", "green", "red"], schema.Columns[1].Categories);
        Assert.Equal(2, schema.Columns[1].FillCategory);   // red, the most frequent
        Assert.False(schema.Columns[1].MissingIndicator);  // no colour is missing among the fitted rows
        Assert.Equal((1.5f + 2.5f + 0.5f) / 3, schema.Columns[2].Fill, 6);
        Assert.Equal(["age", "age missing", "color=blue", "color=green", "color=red", "size", "size missing"], schema.FeatureNames);

        var data = table.ToDataset(schema, out int unseen);
        Assert.Equal(0, unseen);
        var row = new float[7];
        data.Features.CopyRow(3, row);   // 40, colour missing → red, 3.5
        Assert.Equal([40f, 0, 0, 0, 1, 3.5f, 0], row);
        data.Features.CopyRow(1, row);   // age missing → mean, blue
        Assert.Equal([(30f + 50 + 20) / 3, 1, 1, 0, 0, 2.5f, 0], row);
        Assert.Equal(0.5f, data.SampleWeights![3]);
    }

    [Fact]
    public void Records_are_matched_by_name_and_unseen_categories_are_all_zero()
    {
        using var dir = new TempDir();
        var schema = TabularCsv.Read(dir.WriteText("t.csv", Text), new TabularCsvOptions { IgnoreColumns = ["id", "w"] }).FitSchema([0, 1, 2, 3, 4]);
        string[] header = ["size", "extra", "color", "age"];
        var map = schema.Bind(header, "x.csv");
        var features = new float[schema.FeatureCount];
        Assert.Equal(1, schema.Encode(["2", "q", "purple", "7"], map, features, "x.csv", 2));
        Assert.Equal([7f, 0, 0, 0, 2], features);
        var e = Assert.Throws<DataFormatException>(() => schema.Bind(["size", "color"], "x.csv"));
        Assert.Contains("'age' is missing", e.Message);
        var bad = Assert.Throws<DataFormatException>(() => schema.Encode(["2", "q", "red", "seven"], map, features, "x.csv", 9));
        Assert.Contains("x.csv, record/line 9: column 4 ('age')", bad.Message);
    }

    [Theory]
    [InlineData("a,b,y\n1,2,p\n3,x,q\n4,5,p\n6,7,q\n", 3, "column 2 ('b'): expected a finite number")]
    [InlineData("a,b,y\n1,2,p\n3,4\n", 3, "ragged")]
    [InlineData("a,b,y\n1,2,p\n3,NaN,q\n", 3, "NaN")]
    [InlineData("a,b,y\n1,2,p\n3,4,\n", 3, "expected a label")]
    public void Bad_input_names_the_line_and_column(string text, int line, string detail)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => TabularCsv.Read(dir.WriteText("bad.csv", text)));
        Assert.Equal(line, e.Record);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void Invalid_utf8_labels_are_refused_with_the_line_in_both_readers()
    {
        using var dir = new TempDir();
        byte[] bytes = [.. "1,2,a\n3,4,"u8, 0xFF, (byte)'\n', .. "5,6,"u8, 0xFE, (byte)'\n'];
        string path = dir.Write("bad.csv", bytes);
        var strict = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.Equal(2, strict.Record);
        Assert.Contains("UTF-8", strict.Message);
        string headed = dir.Write("headed.csv", [.. "x,z,y\n"u8, .. bytes]);
        Assert.Equal(3, Assert.Throws<DataFormatException>(() => TabularCsv.Read(headed)).Record);
        // LIBSVM labels too (issue 15, item 9: 0xFF and 0xFE both became U+FFFD, one class instead of two).
        string svm = dir.Write("bad.svm", [.. "a 1:1\n"u8, 0xFF, .. " 1:2\n"u8, 0xFE, .. " 2:1\n"u8]);
        var libsvm = Assert.Throws<DataFormatException>(() => LibSvmReader.Read(svm));
        Assert.Equal(2, libsvm.Record);
        Assert.Contains("UTF-8", libsvm.Message);
    }

    [Fact]
    public void Whitespace_only_lines_are_skipped_by_every_reader()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("ws.csv", "1,2,a\n   \n3,4,b\n\t\n");
        Assert.Equal(2, CsvReader.Read(path).Rows);
        int records = 0;
        CsvRecords.Read(path, null, (_, _) => { records++; return true; });
        Assert.Equal(2, records);
        string quoted = dir.WriteText("q.csv", "x,z,y\n\"1\",\"2\",\"a,b\"\n3,4,c\n");
        var table = TabularCsv.Read(quoted);
        Assert.Equal(["a,b", "c"], table.ClassNames);
    }

    [Fact]
    public void The_schema_round_trips_through_the_model_file_and_the_default_is_flagged_not_written()
    {
        using var dir = new TempDir();
        var table = TabularCsv.Read(dir.WriteText("t.csv", Text), new TabularCsvOptions { IdColumn = "id", WeightColumn = "w", NanIsMissing = true });
        var data = table.ToDataset(table.FitSchema([0, 1, 2, 3, 4], missingIndicators: true), out _);
        var model = SoftmaxTrainer.Fit(data, new TrainingOptions { L2 = 1e-2 }).Model;
        Assert.Equal(PreprocessKind.Standardize, model.Preprocessor.Kind);
        // One-hot and indicator features are not standardized (as scikit-learn's ColumnTransformer).
        for (int j = 0; j < model.Features; j++)
            if (!data.Schema!.NumericFeatures[j]) Assert.Equal((0f, 1f), (model.Preprocessor.Mean![j], model.Preprocessor.InverseStd![j]));
        var bytes = ModelFile.Serialize(model);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        var back = ModelFile.Deserialize(bytes, "m");
        Assert.Equal(model.Schema.FeatureNames, back.Schema.FeatureNames);
        Assert.True(back.Schema.Named && back.Schema.NanIsMissing && back.Schema.Imputes);
        for (int k = 0; k < model.Schema.Columns.Count; k++)
        {
            var (a, b) = (model.Schema.Columns[k], back.Schema.Columns[k]);
            Assert.Equal((a.Name, a.Kind, a.Fill, a.FillCategory, a.MissingIndicator), (b.Name, b.Kind, b.Fill, b.FillCategory, b.MissingIndicator));
            Assert.Equal(a.Categories, b.Categories);
        }

        var plain = Softmax.Tests.Model.ModelFixtures.Tiny();
        var old = ModelFile.Serialize(plain);
        Assert.Equal(0, old[^9]);   // the schema flag before the checksum: the default, nothing written
        var loaded = ModelFile.Deserialize(old, "old");
        Assert.False(loaded.HasSchema);
        Assert.Equal(["px_0_0", "px_0_1", "px_1_0", "px_1_1"], loaded.Schema.FeatureNames);
    }

    [Fact]
    public void A_schema_refuses_what_a_crafted_file_could_hold()
    {
        Assert.Throws<ArgumentException>(() => new InputSchema([new InputColumn("a", ColumnKind.Numeric) { Fill = float.NaN }]));
        Assert.Throws<ArgumentException>(() => new InputSchema([new InputColumn("a", ColumnKind.Numeric), new InputColumn("a", ColumnKind.Numeric)]));
        Assert.Throws<ArgumentException>(() => new InputSchema([new InputColumn("c", ColumnKind.Categorical) { Categories = ["x"], FillCategory = 1 }]));
        Assert.Throws<ArgumentException>(() => new InputSchema([new InputColumn("c", ColumnKind.Categorical) { Categories = ["x"], FillCategory = -2 }]));
        var ok = new InputSchema([new InputColumn("c", ColumnKind.Categorical) { Categories = ["x", "y"], FillCategory = -1 }], imputes: true);
        var row = new float[2];
        Assert.Equal(0, ok.Encode([""], [0], row, "s", 1));   // missing with no mode: all zero, not an unseen category
        Assert.Equal([0f, 0], row);
    }
}

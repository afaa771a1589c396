using System.Net;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.Serving.Tests;

/// <summary>A model with named, categorical and imputed columns, served: JSON objects by name and CSV with a header.</summary>
public sealed class TabularServingTests
{
    private const string Csv = """
        age,color,size,target
        30,red,1.5,yes
        ,blue,2.5,no
        50,red,NA,yes
        40,,3.5,no
        20,green,0.5,no
        35,blue,1.0,yes
        45,green,2.0,no
        25,red,3.0,yes
        """;

    private static SoftmaxModel Model()
    {
        string path = Path.Combine(Path.GetTempPath(), $"softmax-tabular-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, Csv);
        try
        {
            var table = TabularCsv.Read(path);
            var data = table.ToDataset(table.FitSchema(Enumerable.Range(0, table.Rows).ToArray(), missingIndicators: true), out _);
            return SoftmaxTrainer.Fit(data, new TrainingOptions { L2 = 1e-2 }).Model;
        }
        finally { File.Delete(path); }
    }

    private static float[] Expected(SoftmaxModel m, string age, string color, string size)
    {
        var row = new float[m.Features];
        m.Schema.Encode([age, color, size], [0, 1, 2], row, "test", 1);
        return m.PredictProba(row);
    }

    [Fact]
    public async Task Json_objects_and_csv_with_a_header_are_bound_by_name()
    {
        var model = Model();
        await using var s = await TestServer.StartAsync(model: model);

        // Keys in another order, an extra key, a category, a null (missing) and an unseen category.
        const string body = """{"instances": [{"size": 2.5, "note": "x", "color": "red", "age": 33}, {"color": null, "age": null, "size": 1}, {"age": 40, "size": 2, "color": "purple"}]}""";
        using var response = await s.PostAsync("/v1/predict", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await TestServer.JsonOf(response);
        var expected = new[] { Expected(model, "33", "red", "2.5"), Expected(model, "", "", "1"), Expected(model, "40", "purple", "2") };
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < model.Classes; c++)
                Assert.Equal(expected[i][c], json.GetProperty("probabilities")[i][c].GetSingle());

        using var csv = await s.PostAsync("/v1/predict", "size,extra,age,color\n2.5,q,33,red\n\"1\",,NA,\n", "text/csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var fromCsv = await TestServer.JsonOf(csv);
        for (int c = 0; c < model.Classes; c++)
        {
            Assert.Equal(expected[0][c], fromCsv.GetProperty("probabilities")[0][c].GetSingle());
            Assert.Equal(expected[1][c], fromCsv.GetProperty("probabilities")[1][c].GetSingle());
        }

        using var missing = await s.PostAsync("/v1/predict", """{"instances": [{"size": 2.5, "color": "red"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("instances[0] has no 'age'", (await TestServer.JsonOf(missing)).GetProperty("error").GetString());
        using var noColumn = await s.PostAsync("/v1/predict", "size,color\n1,red\n", "text/csv");
        Assert.Equal(HttpStatusCode.BadRequest, noColumn.StatusCode);
        Assert.Contains("'age' is missing from the header", (await TestServer.JsonOf(noColumn)).GetProperty("error").GetString());

        using var info = await s.Client.GetAsync("/v1/model");
        var input = (await TestServer.JsonOf(info)).GetProperty("input");
        Assert.True(input.GetProperty("named").GetBoolean());
        Assert.Equal("color", input.GetProperty("columns")[1].GetProperty("name").GetString());
        Assert.Equal(["blue", "green", "red"], input.GetProperty("columns")[1].GetProperty("categories").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(model.Schema.FeatureNames, input.GetProperty("feature_names").EnumerateArray().Select(e => e.GetString()!));
    }
}

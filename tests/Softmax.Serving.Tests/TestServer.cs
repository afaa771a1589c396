using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;

namespace Softmax.Serving.Tests;

/// <summary>Digits models trained once per test run, saved under a temp directory.</summary>
public static class Models
{
    private static readonly Lazy<(SoftmaxModel Model, Dataset Test)> DigitsLazy = new(() =>
    {
        var (train, test) = NamedDatasets.Load("digits");
        var model = SoftmaxTrainer.Fit(train, new TrainingOptions { L2 = 1e-3, Lbfgs = new() { MaxIterations = 200 } }).Model;
        return (model, test);
    });

    public static SoftmaxModel Digits => DigitsLazy.Value.Model;
    public static Dataset DigitsTest => DigitsLazy.Value.Test;

    /// <summary>The digits model with letters for class names, so a reload shows in the labels.</summary>
    public static SoftmaxModel Letters => new(Digits.Parameters, "ABCDEFGHIJ".Select(c => c.ToString()).ToArray(), Digits.Features,
        Digits.Preprocessor, Digits.Image, Digits.Training);

    public static float[] Row(int i)
    {
        var row = new float[DigitsTest.FeatureCount];
        DigitsTest.Features.CopyRow(i, row);
        return row;
    }

    public static string Json(params float[][] rows) =>
        "{\"instances\":[" + string.Join(",", rows.Select(r => "[" + string.Join(",", r.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]")) + "]}";
}

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, a client for it, and a temp directory.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private TestServer(ModelServer server, string directory, string modelPath)
    {
        Server = server;
        Directory = directory;
        ModelPath = modelPath;
        BaseAddress = new Uri(server.Addresses.Single(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public ModelServer Server { get; }
    public string Directory { get; }
    public string ModelPath { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }

    public static async Task<TestServer> StartAsync(Func<ServeOptions, ServeOptions>? configure = null, SoftmaxModel? model = null)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("softmax-serve-").FullName;
        string path = Path.Combine(dir, "model.softmax");
        ModelFile.Save(model ?? Models.Digits, path);
        var options = new ServeOptions { ModelPath = path, Urls = ["http://127.0.0.1:0"] };
        if (configure is not null) options = configure(options);
        return new TestServer(await ModelServer.StartAsync(options), dir, path);
    }

    public Task<HttpResponseMessage> PostAsync(string path, string body, string contentType = "application/json") =>
        Client.PostAsync(path, new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType)));

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

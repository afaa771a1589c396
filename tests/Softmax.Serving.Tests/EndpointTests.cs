using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Softmax.Serving.Tests;

/// <summary>Every endpoint answers what it says, and predictions equal the model's own.</summary>
public sealed class EndpointTests : IAsyncLifetime
{
    private TestServer _s = null!;

    public async Task InitializeAsync() => _s = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task Json_predictions_equal_the_model()
    {
        float[][] rows = [Models.Row(0), Models.Row(1), Models.Row(2)];
        using var response = await _s.PostAsync("/v1/predict?top_k=2", Models.Json(rows));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await TestServer.JsonOf(response);
        Assert.Equal(1, json.GetProperty("model_version").GetInt64());
        for (int i = 0; i < rows.Length; i++)
        {
            var ours = Models.Digits.PredictProba(rows[i]);
            var p = json.GetProperty("probabilities")[i].EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(ours, p);   // float32 written shortest-round-trip: exact
            Assert.Equal(Models.Digits.PredictLabel(rows[i]), json.GetProperty("labels")[i].GetString());
            Assert.Equal(Models.Digits.Predict(rows[i]), json.GetProperty("classes")[i].GetInt32());
            var top = json.GetProperty("top_k")[i];
            Assert.Equal(2, top.GetArrayLength());
            var expected = Softmax.Model.SoftmaxModel.TopKOf(ours, 2);
            Assert.Equal(expected[0].Class, top[0].GetProperty("class").GetInt32());
            Assert.Equal(expected[1].Probability, top[1].GetProperty("probability").GetSingle());
        }
    }

    [Fact]
    public async Task Binary_rows_are_float32_little_endian()
    {
        float[][] rows = [Models.Row(5), Models.Row(6)];
        var bytes = new byte[rows.Length * 64 * 4];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < 64; j++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((i * 64 + j) * 4), rows[i][j]);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/octet-stream");
        using var response = await _s.Client.PostAsync("/v1/predict?top_k=0", content);
        var json = await TestServer.JsonOf(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Models.Digits.PredictLabel(rows[1]), json.GetProperty("labels")[1].GetString());
        Assert.False(json.TryGetProperty("top_k", out _));
    }

    [Fact]
    public async Task Csv_rows_are_accepted()
    {
        float[][] rows = [Models.Row(7), Models.Row(8)];
        string csv = string.Join("\r\n", rows.Select(r => string.Join(", ", r.Select(v => v.ToString(CultureInfo.InvariantCulture))))) + "\n\n";
        using var response = await _s.PostAsync("/v1/predict", csv, "text/csv");
        var json = await TestServer.JsonOf(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, json.GetProperty("labels").GetArrayLength());
        Assert.Equal(Models.Digits.PredictLabel(rows[0]), json.GetProperty("labels")[0].GetString());
    }

    [Fact]
    public async Task Model_info_describes_classes_shapes_preprocessing_and_training()
    {
        using var response = await _s.Client.GetAsync("/v1/model");
        var json = await TestServer.JsonOf(response);
        Assert.Equal(10, json.GetProperty("class_count").GetInt32());
        Assert.Equal("0", json.GetProperty("classes")[0].GetString());
        Assert.Equal(64, json.GetProperty("features").GetInt32());
        Assert.Equal(8, json.GetProperty("image").GetProperty("height").GetInt32());
        Assert.Equal(16, json.GetProperty("input_range").GetProperty("max").GetSingle());
        // Digits are scaled by their declared range (16) by default.
        Assert.Equal("Scale", json.GetProperty("preprocessing").GetProperty("kind").GetString());
        Assert.Equal(1f / 16, json.GetProperty("preprocessing").GetProperty("scale").GetSingle());
        Assert.Equal("lbfgs", json.GetProperty("training").GetProperty("solver").GetString()!.ToLowerInvariant());
        Assert.Equal(1e-3, json.GetProperty("training").GetProperty("l2").GetDouble());
        // L-BFGS has no epochs: it counts its evaluations of F and ∇F, at least one more than its iterations.
        var training = json.GetProperty("training");
        Assert.Equal(JsonValueKind.Null, training.GetProperty("epochs").ValueKind);
        Assert.InRange(training.GetProperty("evaluations").GetInt32(), training.GetProperty("iterations").GetInt32() + 1, int.MaxValue);
        Assert.Equal(4 << 20, json.GetProperty("limits").GetProperty("max_body_bytes").GetInt64());
    }

    [Fact]
    public async Task Weights_are_the_model_parameters()
    {
        var json = await TestServer.JsonOf(await _s.Client.GetAsync("/v1/model/weights"));
        var w = json.GetProperty("weights");
        Assert.Equal(10, w.GetArrayLength());
        Assert.Equal(64, w[3].GetArrayLength());
        Assert.Equal((float)Models.Digits.Weight(3, 20), w[3][20].GetSingle());
        Assert.Equal((float)Models.Digits.Bias(9), json.GetProperty("bias")[9].GetSingle());
    }

    [Fact]
    public async Task Healthz_and_metrics()
    {
        var health = await TestServer.JsonOf(await _s.Client.GetAsync("/healthz"));
        Assert.Equal("ok", health.GetProperty("status").GetString());
        (await _s.PostAsync("/v1/predict", Models.Json(Models.Row(0)))).Dispose();
        (await _s.PostAsync("/v1/predict", "{oops")).Dispose();
        using var response = await _s.Client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("softmax_http_requests_total{route=\"/v1/predict\",method=\"POST\",status=\"200\"} 1", text);
        Assert.Contains("softmax_http_requests_total{route=\"/v1/predict\",method=\"POST\",status=\"400\"} 1", text);
        Assert.Contains("softmax_http_request_duration_seconds_bucket{route=\"/v1/predict\",le=\"+Inf\"} 2", text);
        Assert.Contains("softmax_request_errors_total{reason=\"malformed_json\"} 1", text);
        Assert.Contains("softmax_predicted_rows_total 1", text);
        Assert.Contains("softmax_model_version 1", text);
        Assert.Contains("# TYPE softmax_http_request_duration_seconds histogram", text);
    }

    [Fact]
    public async Task The_page_and_its_assets_are_served_without_a_cdn()
    {
        using var page = await _s.Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("app.js", html);
        Assert.DoesNotContain("://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal));
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        foreach (var asset in new[] { "/app.js", "/app.css" })
        {
            using var r = await _s.Client.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.DoesNotContain("https://", await r.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Unknown_routes_and_methods_get_json_errors()
    {
        using var missing = await _s.Client.GetAsync("/v2/nothing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("/v2/nothing", (await TestServer.JsonOf(missing)).GetProperty("error").GetString());
        using var wrongMethod = await _s.Client.GetAsync("/v1/predict");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("method_not_allowed", (await TestServer.JsonOf(wrongMethod)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Server_binds_loopback_by_default()
    {
        Assert.Equal(["http://127.0.0.1:5000"], new ServeOptions().Urls);
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(_s.BaseAddress.Host)));
        await Task.CompletedTask;
    }
}

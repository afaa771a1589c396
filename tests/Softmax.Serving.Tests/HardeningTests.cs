using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Softmax.Serving.Tests;

/// <summary>Bad input gets a 4xx with a JSON error that says what was wrong; nothing here may produce a 500.</summary>
public sealed class HardeningTests : IAsyncLifetime
{
    private TestServer _s = null!;

    public async Task InitializeAsync() => _s = await TestServer.StartAsync(o => o with { MaxRows = 50, MaxBodyBytes = 64 * 1024 });
    public async Task DisposeAsync() => await _s.DisposeAsync();

    public static TheoryData<string, string, string> BadJson => new()
    {
        { "{\"instances\": [[1, 2, 3]]}", "bad_input", "has 3 values; the model expects 64" },
        { "{\"instances\": [[" + string.Join(",", Enumerable.Repeat("1", 65)) + "]]}", "bad_input", "more than 64 values" },
        { "{\"instances\": [[\"NaN\"" + string.Concat(Enumerable.Repeat(",1", 63)) + "]]}", "bad_input", "instances[0][0] is the string \"NaN\"" },
        { "{\"instances\": [[NaN]]}", "malformed_json", "Malformed JSON" },
        { "{\"instances\": [[1e39" + string.Concat(Enumerable.Repeat(",1", 63)) + "]]}", "bad_input", "is not a finite float32" },
        { "{\"instances\": [[true]]}", "bad_input", "is a boolean" },
        { "{\"instances\": [[null]]}", "bad_input", "is null" },
        { "{\"instances\": [1, 2]}", "bad_input", "instances[0] must be an array" },
        { "{\"instances\": []}", "bad_input", "is empty" },
        { "{\"instances\": {}}", "bad_input", "must be an array of rows" },
        { "{\"rows\": [[1]]}", "bad_input", "no \"instances\"" },
        { "[[1, 2]]", "bad_input", "must be an object" },
        { "{\"instances\": [[1, 2,", "malformed_json", "Malformed JSON" },
        { "{\"instances\": [[" + string.Join(",", Enumerable.Repeat("1", 64)) + "]]} trailing", "malformed_json", "Malformed JSON" },
        { "\u00ff\u00fe garbage", "malformed_json", "Malformed JSON" },
        { "{" + new string('[', 100), "malformed_json", "Malformed JSON" },
        { "", "bad_input", "empty" },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public async Task Bad_json_is_a_400_naming_the_problem(string body, string reason, string message)
    {
        using var response = await _s.PostAsync("/v1/predict", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await TestServer.JsonOf(response);
        Assert.Equal(reason, json.GetProperty("reason").GetString());
        Assert.Contains(message, json.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("1,2,3", "has 3 fields")]
    [InlineData("pixel0,pixel1", "'pixel0' is not a finite number (send no header line)")]
    [InlineData("NaN", "'NaN' is not a finite number")]
    public async Task Bad_csv_is_a_400(string csv, string message)
    {
        using var response = await _s.PostAsync("/v1/predict", csv, "text/csv");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await TestServer.JsonOf(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_binary_is_a_400()
    {
        using var ragged = new ByteArrayContent(new byte[64 * 4 + 2]);
        ragged.Headers.ContentType = new("application/octet-stream");
        using var r1 = await _s.Client.PostAsync("/v1/predict", ragged);
        Assert.Equal(HttpStatusCode.BadRequest, r1.StatusCode);
        Assert.Contains("not a multiple of 256", (await TestServer.JsonOf(r1)).GetProperty("error").GetString());

        var nan = new byte[64 * 4];
        BitConverter.GetBytes(float.NaN).CopyTo(nan, 4 * 10);
        using var content = new ByteArrayContent(nan);
        content.Headers.ContentType = new("application/octet-stream");
        using var r2 = await _s.Client.PostAsync("/v1/predict", content);
        Assert.Equal(HttpStatusCode.BadRequest, r2.StatusCode);
        Assert.Contains("Row 0, feature 10 is NaN", (await TestServer.JsonOf(r2)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Unsupported_media_type_is_a_415()
    {
        using var response = await _s.PostAsync("/v1/predict", "a=1", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", (await TestServer.JsonOf(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_top_k_is_a_400()
    {
        using var response = await _s.PostAsync("/v1/predict?top_k=-1", Models.Json(Models.Row(0)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("top_k", (await TestServer.JsonOf(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_with_and_without_content_length()
    {
        string big = "{\"instances\": [[" + string.Join(",", Enumerable.Repeat("1.0", 40_000)) + "]]}";   // > 64 KiB
        using var declared = await _s.PostAsync("/v1/predict", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal("too_large", (await TestServer.JsonOf(declared)).GetProperty("reason").GetString());

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));   // no Content-Length: chunked
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/predict") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        long before = await Count413();
        try
        {
            using var streamed = await _s.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        }
        catch (HttpRequestException e) when (e.InnerException is IOException)
        {
            // Kestrel answers 413 and closes while the client may still be writing the body (a broken pipe on
            // the client side): then the server's own count must show the 413.
        }
        Assert.Equal(before + 1, await Count413());
    }

    private async Task<long> Count413()
    {
        string metrics = await _s.Client.GetStringAsync("/metrics");
        return metrics.Split('\n')
            .Where(l => l.StartsWith("softmax_http_requests_total", StringComparison.Ordinal) && l.Contains("status=\"413\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Too_many_rows_is_a_413()
    {
        var rows = Enumerable.Range(0, 51).Select(_ => Models.Row(0)).ToArray();
        using var response = await _s.PostAsync("/v1/predict", Models.Json(rows));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("More than 50 rows", (await TestServer.JsonOf(response)).GetProperty("error").GetString());
        using var ok = await _s.PostAsync("/v1/predict", Models.Json(rows[..50]));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Garbage_on_the_socket_never_crashes_the_server()
    {
        foreach (var junk in new[] { "GARBAGE\r\n\r\n", "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "\0\0\0\0" })
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(_s.BaseAddress.Host, _s.BaseAddress.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(junk));
            var buffer = new byte[512];
            int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(buffer, 0, n));
        }
        using var health = await _s.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        string metrics = await _s.Client.GetStringAsync("/metrics");
        Assert.DoesNotContain("status=\"500\"", metrics);
    }
}

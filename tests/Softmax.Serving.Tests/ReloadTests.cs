using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Softmax.IO;

namespace Softmax.Serving.Tests;

/// <summary>Hot reload: admin off without a token, 401/403 on missing/wrong tokens, atomic swaps, bad files rejected.</summary>
public sealed class ReloadTests
{
    private const string Token = "s3cret-token";

    private static HttpRequestMessage Reload(byte[]? model, string? token, string scheme = "Bearer")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/model") { Content = new ByteArrayContent(model ?? []) };
        request.Content.Headers.ContentType = new("application/octet-stream");
        if (token is not null)
        {
            if (scheme == "X-Admin-Token") request.Headers.Add("X-Admin-Token", token);
            else request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        }
        return request;
    }

    [Fact]
    public async Task Admin_endpoint_is_off_without_a_configured_token()
    {
        await using var s = await TestServer.StartAsync();
        using var response = await s.Client.SendAsync(Reload(ModelFile.Serialize(Models.Letters), Token));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("disabled", (await TestServer.JsonOf(response)).GetProperty("error").GetString());
        Assert.Equal(1, s.Server.Slot.Current.Version);
    }

    [Fact]
    public async Task Missing_token_is_401_and_wrong_token_is_403()
    {
        await using var s = await TestServer.StartAsync(o => o with { AdminToken = Token });
        var bytes = ModelFile.Serialize(Models.Letters);
        using var missing = await s.Client.SendAsync(Reload(bytes, null));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        using var wrong = await s.Client.SendAsync(Reload(bytes, Token + "x"));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using var prefix = await s.Client.SendAsync(Reload(bytes, Token[..^1], "X-Admin-Token"));
        Assert.Equal(HttpStatusCode.Forbidden, prefix.StatusCode);
        Assert.Equal(1, s.Server.Slot.Current.Version);
    }

    [Fact]
    public async Task A_good_upload_swaps_the_model_and_a_bad_one_is_rejected()
    {
        await using var s = await TestServer.StartAsync(o => o with { AdminToken = Token });
        string row = Models.Json(Models.Row(0));
        using var ok = await s.Client.SendAsync(Reload(ModelFile.Serialize(Models.Letters), Token));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(2, (await TestServer.JsonOf(ok)).GetProperty("version").GetInt64());
        var after = await TestServer.JsonOf(await s.PostAsync("/v1/predict", row));
        Assert.Equal(2, after.GetProperty("model_version").GetInt64());
        Assert.Equal("ABCDEFGHIJ"[Models.Digits.Predict(Models.Row(0))].ToString(), after.GetProperty("labels")[0].GetString());

        var corrupt = ModelFile.Serialize(Models.Digits);
        corrupt[100] ^= 0xFF;
        foreach (var bad in new[] { corrupt, Encoding.UTF8.GetBytes("not a model"), corrupt[..50] })
        {
            using var rejected = await s.Client.SendAsync(Reload(bad, Token, "X-Admin-Token"));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
            Assert.Contains("still serving version 2", (await TestServer.JsonOf(rejected)).GetProperty("error").GetString());
        }
        var still = await TestServer.JsonOf(await s.PostAsync("/v1/predict", row));
        Assert.Equal(2, still.GetProperty("model_version").GetInt64());
        string metrics = await s.Client.GetStringAsync("/metrics");
        Assert.Contains("softmax_model_reloads_total{result=\"ok\"} 1", metrics);
        Assert.Contains("softmax_model_reloads_total{result=\"rejected\"} 3", metrics);
    }

    [Fact]
    public async Task An_empty_admin_post_rereads_the_model_file()
    {
        await using var s = await TestServer.StartAsync(o => o with { AdminToken = Token });
        ModelFile.Save(Models.Letters, s.ModelPath);
        using var ok = await s.Client.SendAsync(Reload(null, Token));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("A", (await TestServer.JsonOf(ok)).GetProperty("classes")[0].GetString());
    }

    [Fact]
    public async Task A_watched_file_reloads_and_a_bad_write_keeps_the_old_model()
    {
        var log = new List<string>();
        await using var s = await TestServer.StartAsync(o => o with { WatchModelFile = true, Log = line => { lock (log) log.Add(line); } });
        ModelFile.Save(Models.Letters, s.ModelPath);   // temp file + rename, as a trainer would write it
        await WaitFor(() => s.Server.Slot.Current.Version == 2, "the watcher to load the new file");
        Assert.Equal("A", s.Server.Slot.Current.Model.ClassNames[0]);

        File.WriteAllText(s.ModelPath, "garbage");
        await WaitFor(() => { lock (log) return log.Any(l => l.StartsWith("reload rejected", StringComparison.Ordinal)); }, "the bad file to be rejected");
        Assert.Equal(2, s.Server.Slot.Current.Version);
        using var response = await s.PostAsync("/v1/predict", Models.Json(Models.Row(0)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_request_in_flight_finishes_on_the_model_it_started_with()
    {
        await using var s = await TestServer.StartAsync(o => o with { AdminToken = Token });
        byte[] body = Encoding.UTF8.GetBytes(Models.Json(Models.Row(0)));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(s.BaseAddress.Host, s.BaseAddress.Port);
        var stream = tcp.GetStream();
        string head = $"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body.AsMemory(0, 10));   // the handler has started and is waiting for the rest
        await WaitFor(() => s.Server.Metrics.InFlight == 1, "the request to reach the handler");

        using var swap = await s.Client.SendAsync(Reload(ModelFile.Serialize(Models.Letters), Token));
        Assert.Equal(HttpStatusCode.OK, swap.StatusCode);

        await stream.WriteAsync(body.AsMemory(10));
        string response = await new StreamReader(stream).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains("\"model_version\":1", response);
        Assert.Contains($"\"labels\":[\"{Models.Digits.PredictLabel(Models.Row(0))}\"]", response);
        var fresh = await TestServer.JsonOf(await s.PostAsync("/v1/predict", Models.Json(Models.Row(0))));
        Assert.Equal(2, fresh.GetProperty("model_version").GetInt64());
    }

    internal static async Task WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(25);
        }
    }
}

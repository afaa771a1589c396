using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Softmax.IO;

namespace Softmax.Serving.Tests;

/// <summary>What used to end in a 500 or a dead process: forged model files, rows at the end of the float range, idle sockets.</summary>
public sealed class HostileInputTests
{
    private const string Token = "s3cret-token";

    /// <summary>80 bytes whose header claims C = 2³¹−1 classes and D = 2²⁹ features.</summary>
    private static byte[] ForgedHeader()
    {
        var bytes = new byte[80];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, ModelFile.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), int.MaxValue);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), 1 << 29);
        return bytes;
    }

    /// <summary>The digits model with θ[0] = 1e300 and a valid checksum.</summary>
    private static byte[] HugeWeight()
    {
        var bytes = ModelFile.Serialize(Models.Digits);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(16 + 10 * 5), 1e300);   // header, ten one-letter names
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8)));
        return bytes;
    }

    [Fact]
    public async Task The_watcher_outlives_any_file_and_the_old_model_keeps_serving()
    {
        var log = new List<string>();
        await using var s = await TestServer.StartAsync(o => o with { WatchModelFile = true, Log = line => { lock (log) log.Add(line); } });
        int Rejected() { lock (log) return log.Count(l => l.StartsWith("reload rejected", StringComparison.Ordinal)); }
        foreach (var (bytes, i) in new[] { ForgedHeader(), HugeWeight() }.Select((b, i) => (b, i)))
        {
            File.WriteAllBytes(s.ModelPath, bytes);
            await ReloadTests.WaitFor(() => Rejected() > i, $"file {i} to be rejected");
        }
        lock (log) Assert.Contains(log, l => l.Contains("finite in float32", StringComparison.Ordinal));
        Assert.Equal(1, s.Server.Slot.Current.Version);
        using var response = await s.PostAsync("/v1/predict", Models.Json(Models.Row(0)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_hostile_upload_is_a_422_and_the_old_model_keeps_serving()
    {
        await using var s = await TestServer.StartAsync(o => o with { AdminToken = Token });
        foreach (var (bytes, reason) in new[] { (ForgedHeader(), "upload: "), (HugeWeight(), "finite in float32") })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/model") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/octet-stream");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var response = await s.Client.SendAsync(request);
            Assert.Equal((HttpStatusCode)422, response.StatusCode);
            Assert.Contains(reason, (await TestServer.JsonOf(response)).GetProperty("error").GetString());
        }
        Assert.Equal(1, s.Server.Slot.Current.Version);
    }

    [Fact]
    public async Task Rows_near_the_float_limit_get_finite_probabilities_in_every_body_format()
    {
        await using var s = await TestServer.StartAsync();
        var row = Enumerable.Repeat(3e38f, 64).ToArray();
        row[5] = -float.MaxValue;
        var expected = Models.Digits.PredictProba(row);
        Assert.All(expected, p => Assert.True(float.IsFinite(p)));

        var binary = new ByteArrayContent(row.SelectMany(BitConverter.GetBytes).ToArray());
        binary.Headers.ContentType = new("application/octet-stream");
        string csv = string.Join(",", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "\n";
        var responses = new[]
        {
            await s.PostAsync("/v1/predict", Models.Json(row)),
            await s.Client.PostAsync("/v1/predict", binary),
            await s.PostAsync("/v1/predict", csv, "text/csv"),
        };
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var p = (await TestServer.JsonOf(response)).GetProperty("probabilities")[0].EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(expected, p);
            Assert.Equal(1, p.Sum(v => (double)v), 1e-5);
        }
        using var weights = await s.Client.GetAsync("/v1/model/weights");
        Assert.Equal(HttpStatusCode.OK, weights.StatusCode);
    }

    [Fact]
    public async Task Idle_sockets_filling_every_connection_slot_do_not_lock_others_out()
    {
        const int Slots = 8;
        await using var s = await TestServer.StartAsync(o => o with { MaxConnections = Slots, IdleTimeout = TimeSpan.FromSeconds(1) });
        var idle = new List<TcpClient>();
        try
        {
            for (int i = 0; i < Slots; i++)
            {
                var tcp = new TcpClient();
                await tcp.ConnectAsync(s.BaseAddress.Host, s.BaseAddress.Port);
                idle.Add(tcp);
            }
            // The slots are full of sockets that never send a byte; they are closed after the idle timeout, not 60 s.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            HttpStatusCode? status = null;
            while (status is null && DateTime.UtcNow < deadline)
            {
                using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = s.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
                try { status = (await client.GetAsync("/healthz")).StatusCode; }
                catch (HttpRequestException) { await Task.Delay(200); }
                catch (TaskCanceledException) { }
            }
            Assert.Equal(HttpStatusCode.OK, status);
            var buffer = new byte[1];
            foreach (var tcp in idle)   // the server closed them: a read ends (0 bytes or a reset)
            {
                tcp.ReceiveTimeout = 10_000;
                try { Assert.Equal(0, tcp.GetStream().Read(buffer)); }
                catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset }) { }
            }
        }
        finally
        {
            foreach (var tcp in idle) tcp.Dispose();
        }
    }
}

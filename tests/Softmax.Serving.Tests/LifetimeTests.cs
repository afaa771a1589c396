using System.Net.Sockets;
using System.Text;

namespace Softmax.Serving.Tests;

/// <summary>Request timeouts and graceful shutdown: stopping waits for requests in flight and refuses new connections.</summary>
public sealed class LifetimeTests
{
    [Fact]
    public async Task A_request_slower_than_the_timeout_gets_a_504()
    {
        await using var s = await TestServer.StartAsync(o => o with { RequestTimeout = TimeSpan.FromSeconds(1) });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(s.BaseAddress.Host, s.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inst"));
        var buffer = new byte[4096];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        string response = Encoding.ASCII.GetString(buffer, 0, n);
        Assert.StartsWith("HTTP/1.1 504", response);
        Assert.Contains("\"reason\":\"timeout\"", response);
    }

    [Fact]
    public async Task Stopping_drains_requests_in_flight()
    {
        var s = await TestServer.StartAsync(o => o with { ShutdownTimeout = TimeSpan.FromSeconds(10) });
        try
        {
            byte[] body = Encoding.UTF8.GetBytes(Models.Json(Models.Row(3)));
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(s.BaseAddress.Host, s.BaseAddress.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"));
            await stream.WriteAsync(body.AsMemory(0, 5));
            await ReloadTests.WaitFor(() => s.Server.Metrics.InFlight == 1, "the request to reach the handler");

            var stopping = s.Server.StopAsync();   // what SIGTERM triggers
            await Task.Delay(300);
            Assert.False(stopping.IsCompleted, "shutdown must wait for the request in flight");
            await Assert.ThrowsAnyAsync<SocketException>(async () =>
            {
                using var late = new TcpClient();
                await late.ConnectAsync(s.BaseAddress.Host, s.BaseAddress.Port);
            });

            await stream.WriteAsync(body.AsMemory(5));
            var buffer = new byte[8192];
            int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            string response = Encoding.ASCII.GetString(buffer, 0, n);
            Assert.StartsWith("HTTP/1.1 200", response);
            Assert.Contains(Models.Digits.PredictLabel(Models.Row(3)), response);
            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await s.Server.DisposeAsync();
        }
    }

    [Fact]
    public async Task RunAsync_returns_0_after_cancellation()
    {
        string dir = Directory.CreateTempSubdirectory("softmax-run-").FullName;
        string path = Path.Combine(dir, "m.softmax");
        Softmax.IO.ModelFile.Save(Models.Digits, path);
        var log = new List<string>();
        using var cts = new CancellationTokenSource();
        var run = ModelServer.RunAsync(new ServeOptions { ModelPath = path, Urls = ["http://127.0.0.1:0"], Log = l => { lock (log) log.Add(l); } }, cts.Token);
        await ReloadTests.WaitFor(() => { lock (log) return log.Any(l => l.StartsWith("serving", StringComparison.Ordinal)); }, "the server to start");
        Assert.Contains("http://127.0.0.1:", log[0]);
        cts.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("stopped", log);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new ServeOptions().Validate());
        Assert.Throws<ArgumentException>(() => new ServeOptions { ModelPath = "m", Urls = ["https://127.0.0.1:1"] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ServeOptions { ModelPath = "m", MaxRows = 0 }.Validate());
    }
}

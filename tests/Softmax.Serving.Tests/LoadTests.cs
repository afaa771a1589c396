using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace Softmax.Serving.Tests;

/// <summary>
/// A bounded load test on loopback: many connections send mixed valid and invalid single-row requests for 5 s, then
/// 100-row batches for 2 s. No valid request may fail, every invalid one must get its 400, and memory must stay flat.
/// The client runs in the same process, so it shares the machine's cores with the server: the numbers are a floor.
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Connections = 64;

    private sealed record Probe(byte[] Body, string? ExpectedLabel);   // ExpectedLabel null: must be a 400

    private sealed class Tally
    {
        public readonly List<long> Ticks = new(1024);
        public long Valid, Invalid, ValidFailures, InvalidWrong, Rows;
        public string? FirstFailure;
    }

    [Fact]
    public async Task Mixed_load_from_many_connections_loses_no_valid_request()
    {
        await using var s = await TestServer.StartAsync();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = s.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var probes = new List<Probe>();
        for (int i = 0; i < 100; i++)
        {
            var row = Models.Row(i);
            probes.Add(new Probe(Encoding.UTF8.GetBytes(Models.Json(row)), Models.Digits.PredictLabel(row)));
            if (i % 4 == 0)   // one request in five is invalid, in turn: wrong count, a NaN string, malformed JSON
                probes.Add(new Probe(Encoding.UTF8.GetBytes((i / 4 % 3) switch
                {
                    0 => Models.Json(row[..63]),
                    1 => Models.Json(row).Replace("[[", "[[\"NaN\",", StringComparison.Ordinal).Replace(",0,", ",", StringComparison.Ordinal),
                    _ => Models.Json(row)[..40],
                }), null));
        }
        var batch = Enumerable.Range(0, 100).Select(Models.Row).ToArray();
        var batchProbe = new Probe(Encoding.UTF8.GetBytes(Models.Json(batch)), Models.Digits.PredictLabel(batch[0]));

        // Warm-up (JIT, connections, the server's and the sockets' buffer pools), then a baseline: the heap steps up once
        // to its working size on the first seconds of load and must stay there.
        await Run(client, probes, TimeSpan.FromSeconds(3), rowsPerRequest: 1);
        var (heapBefore, setBefore) = Memory();
        var single = await Run(client, probes, TimeSpan.FromSeconds(5), rowsPerRequest: 1);
        var (heapMid, setMid) = Memory();
        var batched = await Run(client, [batchProbe], TimeSpan.FromSeconds(2), rowsPerRequest: 100);
        var (heapAfter, setAfter) = Memory();

        string Report(string what, Tally t, TimeSpan d)
        {
            t.Ticks.Sort();
            double Ms(double q) => t.Ticks[(int)Math.Min(t.Ticks.Count - 1, q * t.Ticks.Count)] * 1000.0 / Stopwatch.Frequency;
            long n = t.Valid + t.Invalid;
            return string.Create(CultureInfo.InvariantCulture,
                $"{what}: {n} requests in {d.TotalSeconds:0.0} s = {n / d.TotalSeconds:0} req/s ({t.Valid} valid, {t.Invalid} invalid), " +
                $"{t.Rows / d.TotalSeconds:0} rows/s; latency p50 {Ms(0.50):0.000} ms, p99 {Ms(0.99):0.000} ms, max {Ms(1):0.0} ms; " +
                $"valid failures {t.ValidFailures}, invalid not answered 400: {t.InvalidWrong}");
        }
        string MiB(long b) => (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
        string report = string.Join("\n",
            $"{Connections} connections, {Environment.ProcessorCount} cores shared by client and server",
            Report("single rows, 20 % invalid", single, TimeSpan.FromSeconds(5)),
            Report("100-row batches", batched, TimeSpan.FromSeconds(2)),
            $"managed heap after GC: {MiB(heapBefore)} MiB before, {MiB(heapMid)} after single rows, {MiB(heapAfter)} after batches; " +
            $"working set {MiB(setBefore)} → {MiB(setMid)} → {MiB(setAfter)} MiB",
            await client.GetStringAsync("/metrics") is var m ? string.Join("\n", m.Split('\n').Where(l => l.StartsWith("softmax_request_errors_total", StringComparison.Ordinal))) : "");
        output.WriteLine(report);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "load-report.txt"), report);

        Assert.True(single.ValidFailures == 0, $"a valid request failed: {single.FirstFailure}");
        Assert.True(batched.ValidFailures == 0, $"a valid batch failed: {batched.FirstFailure}");
        Assert.True(single.InvalidWrong == 0, $"an invalid request was not answered 400: {single.FirstFailure}");
        Assert.True(single.Valid > 1000 && single.Invalid > 200, "the load test should have sent real load");
        Assert.True(heapAfter - heapBefore < 16 << 20, $"the managed heap grew by {MiB(heapAfter - heapBefore)} MiB under load");
        Assert.DoesNotContain("status=\"500\"", await client.GetStringAsync("/metrics"));
    }

    private static async Task<Tally> Run(HttpClient client, IReadOnlyList<Probe> probes, TimeSpan duration, int rowsPerRequest)
    {
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tallies = await Task.WhenAll(Enumerable.Range(0, Connections).Select(worker => Task.Run(async () =>
        {
            var t = new Tally();
            for (int k = worker; Stopwatch.GetTimestamp() < stop; k += Connections)
            {
                var probe = probes[k % probes.Count];
                long start = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(probe.Body);
                content.Headers.ContentType = new("application/json");
                HttpStatusCode status;
                string body;
                try
                {
                    using var response = await client.PostAsync("/v1/predict?top_k=1", content);
                    status = response.StatusCode;
                    body = await response.Content.ReadAsStringAsync();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    status = 0;
                    body = e.Message;
                }
                t.Ticks.Add(Stopwatch.GetTimestamp() - start);
                if (probe.ExpectedLabel is { } label)
                {
                    t.Valid++;
                    t.Rows += rowsPerRequest;
                    if (status != HttpStatusCode.OK || !body.Contains($"\"labels\":[\"{label}\"", StringComparison.Ordinal))
                    {
                        t.ValidFailures++;
                        t.FirstFailure ??= $"{(int)status}: {body[..Math.Min(200, body.Length)]}";
                    }
                }
                else
                {
                    t.Invalid++;
                    if (status != HttpStatusCode.BadRequest || !body.Contains("\"error\"", StringComparison.Ordinal))
                    {
                        t.InvalidWrong++;
                        t.FirstFailure ??= $"{(int)status}: {body[..Math.Min(200, body.Length)]}";
                    }
                }
            }
            return t;
        })));
        var all = new Tally();
        foreach (var t in tallies)
        {
            all.Ticks.AddRange(t.Ticks);
            all.Valid += t.Valid; all.Invalid += t.Invalid; all.Rows += t.Rows;
            all.ValidFailures += t.ValidFailures; all.InvalidWrong += t.InvalidWrong;
            all.FirstFailure ??= t.FirstFailure;
        }
        return all;
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var p = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(true), p.WorkingSet64);
    }
}

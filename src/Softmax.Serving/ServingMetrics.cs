using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Softmax.Serving;

/// <summary>
/// Counters and latency histograms kept with interlocked adds (no locks on the request path), written in the
/// Prometheus text format by <see cref="Write"/>. Routes are endpoint patterns (a bounded set), never raw paths.
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>Upper bounds of the latency buckets, in seconds.</summary>
    public static readonly double[] Buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<(string Route, string Method, int Status), StrongBox<long>> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _reloads = new(StringComparer.Ordinal);
    private long _rows, _inFlight;

    private sealed class Histogram
    {
        public readonly long[] Counts = new long[Buckets.Length + 1];   // the last one is +Inf
        public long SumTicks;
    }

    /// <summary>Requests being handled now.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    internal void Started() => Interlocked.Increment(ref _inFlight);

    /// <summary>Counts one finished request.</summary>
    public void Request(string route, string method, int status, long elapsedTicks)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _requests.GetOrAdd((route, method, status), _ => new StrongBox<long>()).Value);
        var h = _latency.GetOrAdd(route, _ => new Histogram());
        double seconds = elapsedTicks / (double)Stopwatch.Frequency;
        int b = 0;
        while (b < Buckets.Length && seconds > Buckets[b]) b++;
        Interlocked.Increment(ref h.Counts[b]);
        Interlocked.Add(ref h.SumTicks, elapsedTicks);
    }

    /// <summary>Counts a failed request by cause (bad_input, malformed_json, too_large, timeout, internal, …).</summary>
    public void Error(string reason) => Interlocked.Increment(ref _errors.GetOrAdd(reason, _ => new StrongBox<long>()).Value);

    /// <summary>Counts predicted rows.</summary>
    public void Rows(int n) => Interlocked.Add(ref _rows, n);

    /// <summary>Counts a reload attempt: "ok" or "rejected".</summary>
    public void Reload(string result) => Interlocked.Increment(ref _reloads.GetOrAdd(result, _ => new StrongBox<long>()).Value);

    /// <summary>The Prometheus text exposition (format 0.0.4).</summary>
    public string Write(ServedModel model)
    {
        var s = new StringBuilder(4096);
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        StringBuilder Family(string name, string type, string help) => s.Append($"# HELP {name} {help}\n# TYPE {name} {type}\n");
        void One(string name, string type, string help, object value) => Family(name, type, help).Append($"{name} {value}\n");
        void Counts(string name, string help, string label, ConcurrentDictionary<string, StrongBox<long>> counters)
        {
            Family(name, "counter", help);
            foreach (var (key, c) in counters.OrderBy(p => p.Key, StringComparer.Ordinal))
                s.Append($"{name}{{{label}=\"{key}\"}} {Interlocked.Read(ref c.Value)}\n");
        }
        Family("softmax_http_requests_total", "counter", "HTTP requests by route, method and status code.");
        foreach (var ((route, method, status), c) in _requests.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            s.Append($"softmax_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {Interlocked.Read(ref c.Value)}\n");

        Family("softmax_http_request_duration_seconds", "histogram", "Time from the request reaching the app to the response, by route.");
        foreach (var (route, h) in _latency.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            long cumulative = 0;
            for (int b = 0; b <= Buckets.Length; b++)
            {
                cumulative += Interlocked.Read(ref h.Counts[b]);
                string le = b < Buckets.Length ? F(Buckets[b]) : "+Inf";
                s.Append($"softmax_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}\n");
            }
            s.Append($"softmax_http_request_duration_seconds_sum{{route=\"{route}\"}} {F(Interlocked.Read(ref h.SumTicks) / (double)Stopwatch.Frequency)}\n");
            s.Append($"softmax_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}\n");
        }

        Counts("softmax_request_errors_total", "Failed requests by cause.", "reason", _errors);
        One("softmax_predicted_rows_total", "counter", "Rows predicted.", Interlocked.Read(ref _rows));
        One("softmax_http_requests_in_flight", "gauge", "Requests being handled.", InFlight);
        Counts("softmax_model_reloads_total", "Model reload attempts by result.", "result", _reloads);
        One("softmax_model_version", "gauge", "Version of the served model (1, then +1 per reload).", model.Version);
        Family("softmax_model_info", "gauge", "The served model's shape.").Append($"softmax_model_info{{classes=\"{model.Model.Classes}\",features=\"{model.Model.Features}\"}} 1\n");

        using var process = Process.GetCurrentProcess();
        One("process_working_set_bytes", "gauge", "Resident memory.", process.WorkingSet64);
        One("process_cpu_seconds_total", "counter", "CPU time.", F(process.TotalProcessorTime.TotalSeconds));
        One("dotnet_gc_heap_bytes", "gauge", "Managed heap size.", GC.GetTotalMemory(false));
        Family("dotnet_gc_collections_total", "counter", "Garbage collections by generation.");
        for (int g = 0; g <= GC.MaxGeneration; g++)
            s.Append($"dotnet_gc_collections_total{{generation=\"{g}\"}} {GC.CollectionCount(g)}\n");
        return s.ToString();
    }
}

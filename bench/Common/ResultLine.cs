using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Softmax.Bench.Common;

/// <summary>
/// One JSON result line in the schema shared with bench/peers/common.py:
/// {system, workload, metric, seconds, iterations, F, F_minus_Fstar, test_accuracy, peak_rss_mb, ...extra}.
/// Missing or non-finite numbers are written as null.
/// </summary>
public static class ResultLine
{
    /// <summary>Writes the line to stdout and flushes, so the harness can collect it as it comes.</summary>
    public static void Emit(string system, string workload, string metric, double? seconds,
        long? iterations = null, double? f = null, double? testAccuracy = null, double? peakRssMb = null,
        IReadOnlyDictionary<string, object?>? extra = null, double? fStar = null)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms))
        {
            j.WriteStartObject();
            j.WriteString("system", system);
            j.WriteString("workload", workload);
            j.WriteString("metric", metric);
            Number(j, "seconds", seconds);
            Number(j, "iterations", iterations);
            Number(j, "F", f);
            Number(j, "F_minus_Fstar", f is null ? null : f - (fStar ?? Objective.FStar));
            Number(j, "test_accuracy", testAccuracy);
            Number(j, "peak_rss_mb", peakRssMb ?? PeakRssMb());
            if (extra is not null)
            {
                foreach (var (key, value) in extra)
                {
                    switch (value)
                    {
                        case null: j.WriteNull(key); break;
                        case string s: j.WriteString(key, s); break;
                        case bool b: j.WriteBoolean(key, b); break;
                        case int i: j.WriteNumber(key, i); break;
                        case long l: j.WriteNumber(key, l); break;
                        default: Number(j, key, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                    }
                }
            }
            j.WriteEndObject();
        }
        Console.Out.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
        Console.Out.Flush();
    }

    /// <summary>Peak resident set of this process so far, in MiB.</summary>
    public static double PeakRssMb()
    {
        using var p = Process.GetCurrentProcess();
        return p.PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    private static void Number(Utf8JsonWriter j, string key, double? v)
    {
        if (v is double x && double.IsFinite(x))
        {
            j.WriteNumber(key, x);
        }
        else
        {
            j.WriteNull(key);
        }
    }
}

/// <summary>Timing helpers: median of repeated runs.</summary>
public static class Timing
{
    /// <summary>Median wall time in seconds of <paramref name="repeats"/> calls, after <paramref name="warmup"/> untimed calls.</summary>
    public static (double Median, double Min, double[] All) Median(Action action, int repeats, int warmup = 1)
    {
        for (int i = 0; i < warmup; i++)
        {
            action();
        }
        var t = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            t[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        var sorted = (double[])t.Clone();
        Array.Sort(sorted);
        double med = repeats % 2 == 1 ? sorted[repeats / 2] : 0.5 * (sorted[repeats / 2 - 1] + sorted[repeats / 2]);
        return (med, sorted[0], t);
    }
}

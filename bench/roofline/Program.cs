// Roofline of this machine for the value-and-gradient pass: read bandwidth (streaming sum over 1 GiB),
// float32 matmul rate (our Vector512 GEMM, and OpenBLAS sgemm through /usr/bin/python3 when available), and the
// floor per workload = max(bytes of X / bandwidth, 4·N·D·C flops / matmul rate). One JSON line per number.
//
//   dotnet Roofline.dll [--quick] [--no-openblas]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Softmax.Bench.Common;
using Softmax.Bench.Roofline;

bool quick = args.Contains("--quick");
bool useOpenBlas = !args.Contains("--no-openblas");
int repeats = quick ? 5 : 11;
const string Sys = "roofline";
var bandwidth = new Dictionary<int, double>();
var gemm = new Dictionary<int, double>();

unsafe
{
    const long Floats = 1L << 28; // 1 GiB
    float* data = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(Floats * 4), 64);
    try
    {
        new Span<float>(data, (int)Floats).Fill(1f); // touch every page before timing
        foreach (int threads in new[] { 1, 2 })
        {
            float sink = 0;
            var (med, min, _) = Timing.Median(() => sink += StreamingSum.SumParallel(data, Floats, threads), repeats);
            bandwidth[threads] = Floats * 4 / min / 1e9;
            ResultLine.Emit(Sys, "machine", $"read bandwidth {threads}t", med, repeats,
                extra: new Dictionary<string, object?>
                {
                    ["gb_per_s"] = Floats * 4 / med / 1e9, ["best_gb_per_s"] = bandwidth[threads],
                    ["bytes"] = Floats * 4, ["threads"] = threads, ["check"] = sink > 0,
                });
        }
    }
    finally
    {
        System.Runtime.InteropServices.NativeMemory.AlignedFree(data);
    }

    const int M = 2304, N = 2048, K = 2048;
    var a = new float[M * K];
    var b = new float[K * N];
    var c = new float[M * N];
    var rng = new Random(1);
    for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
    for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
    CheckGemm();
    fixed (float* pa = a, pb = b, pc = c)
    {
        nint ap = (nint)pa, bp = (nint)pb, cp = (nint)pc;
        foreach (int threads in new[] { 1, 2 })
        {
            var (med, min, _) = Timing.Median(() => Sgemm.Multiply((float*)ap, (float*)bp, (float*)cp, M, N, K, threads),
                quick ? 3 : 5);
            gemm[threads] = 2.0 * M * N * K / min / 1e9;
            ResultLine.Emit(Sys, "machine", $"sgemm own Vector512 {threads}t", med, quick ? 3 : 5,
                extra: new Dictionary<string, object?>
                {
                    ["gflops"] = 2.0 * M * N * K / med / 1e9, ["best_gflops"] = gemm[threads], ["shape"] = $"{M}x{N}x{K}", ["threads"] = threads,
                    ["kernel"] = "bench/roofline/Sgemm.cs, 8x32 register tile",
                });
        }
    }
}

if (useOpenBlas)
{
    foreach (var line in RunOpenBlas(quick ? 3 : 5))
    {
        int threads = line.GetProperty("threads").GetInt32();
        double gflops = line.GetProperty("gflops").GetDouble();
        gemm[threads] = Math.Max(gemm[threads], line.GetProperty("best_gflops").GetDouble());
        ResultLine.Emit(Sys, "machine", $"sgemm OpenBLAS {threads}t", line.GetProperty("seconds").GetDouble(), null,
            extra: new Dictionary<string, object?>
            {
                ["gflops"] = gflops, ["best_gflops"] = line.GetProperty("best_gflops").GetDouble(),
                ["shape"] = line.GetProperty("shape").GetString(), ["threads"] = threads,
                ["kernel"] = "numpy.matmul -> OpenBLAS " + line.GetProperty("blas").ToString(),
            });
    }
}

// Floors use the best run (not the median) of the best kernel of each kind, so they stay lower bounds on a machine
// that others share; on 2 threads for our engine, on 1 thread for single-thread peers. Two cores do at least the
// work of one, and the FMA units are per core: the 2-thread rates are taken as at least the 1-thread bandwidth and
// twice the 1-thread GEMM rate (a busy second core would otherwise lower the floor below what a quiet machine does).
double measured2 = gemm[2];
bandwidth[2] = Math.Max(bandwidth[2], bandwidth[1]);
gemm[2] = Math.Max(gemm[2], 2 * gemm[1]);
ResultLine.Emit(Sys, "machine", "rates used for the 2-thread floor", null, null,
    extra: new Dictionary<string, object?>
    {
        ["gb_per_s_used"] = bandwidth[2], ["gflops_used"] = gemm[2], ["gflops_measured_2t"] = measured2,
        ["gflops_used_1t"] = gemm[1], ["gb_per_s_used_1t"] = bandwidth[1],
    });
var workloads = new (string Name, long Rows, long Features, long Classes, int BytesPerValue)[]
{
    ("fashion-mnist f32", 60000, 784, 10, 4),
    ("fashion-mnist u8", 60000, 784, 10, 1),
    ("cifar-shape f32", 50000, 3072, 10, 4),
    ("cifar-shape u8", 50000, 3072, 10, 1),
    ("many-classes f32", 100000, 512, 1000, 4),
};
foreach (var w in workloads)
{
    double bytes = (double)w.Rows * w.Features * w.BytesPerValue;
    double flops = 4.0 * w.Rows * w.Features * w.Classes;
    foreach (int threads in new[] { 2, 1 })
    {
        double memory = bytes / (bandwidth[threads] * 1e9);
        double compute = flops / (gemm[threads] * 1e9);
        ResultLine.Emit(Sys, w.Name, $"floor value+grad {threads}t", Math.Max(memory, compute), null,
            extra: new Dictionary<string, object?>
            {
                ["bytes"] = bytes, ["flops"] = flops, ["memory_s"] = memory, ["compute_s"] = compute,
                ["bound"] = memory >= compute ? "memory" : "compute", ["threads"] = threads,
                ["shape"] = $"{w.Rows}x{w.Features} C={w.Classes}",
            });
    }
}
return 0;

static IEnumerable<JsonElement> RunOpenBlas(int repeats)
{
    string script = Path.Combine(AppContext.BaseDirectory, "openblas_sgemm.py");
    var psi = new ProcessStartInfo("/usr/bin/python3", [script, "2048", repeats.ToString(CultureInfo.InvariantCulture)])
    {
        RedirectStandardOutput = true,
        UseShellExecute = false,
    };
    psi.Environment.Remove("OPENBLAS_CORETYPE"); // let OpenBLAS pick its AVX-512 kernel
    psi.Environment.Remove("OPENBLAS_L2_SIZE");
    psi.Environment.Remove("OPENBLAS_NUM_THREADS");
    var lines = new List<JsonElement>();
    try
    {
        using var p = Process.Start(psi)!;
        string? s;
        while ((s = p.StandardOutput.ReadLine()) is not null)
        {
            lines.Add(JsonDocument.Parse(s).RootElement.Clone());
        }
        p.WaitForExit();
    }
    catch (Exception e) when (e is System.ComponentModel.Win32Exception or JsonException)
    {
        Console.Error.WriteLine($"OpenBLAS sgemm skipped: {e.Message}");
    }
    return lines;
}

// Our GEMM against a naive triple loop on a small shape, so a wrong kernel cannot report a rate.
static unsafe void CheckGemm()
{
    const int m = 192, n = 64, k = 256;
    var rng = new Random(2);
    var a = new float[m * k];
    var b = new float[k * n];
    var c = new float[m * n];
    for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
    for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
    fixed (float* pa = a, pb = b, pc = c)
    {
        Sgemm.Multiply(pa, pb, pc, m, n, k, 2);
    }
    for (int i = 0; i < m; i++)
    {
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
            if (Math.Abs(s - c[i * n + j]) > 1e-3)
            {
                throw new InvalidOperationException($"GEMM check failed at ({i},{j}): {c[i * n + j]} vs {s}");
            }
        }
    }
}

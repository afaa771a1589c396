using System.Diagnostics;
using System.Globalization;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Gpu;
using Softmax.Optimization;

// bench/gpu/GpuBench: correctness against the CPU engine on real shapes, then timings, as TSV lines
// "name<TAB>value<TAB>unit<TAB>note" on stdout (run.sh collects them with PyTorch's and prints one table).
// Usage: GpuBench [--fashion DIR] [--cpu-accelerator] [--quick] [--no-cpu-lbfgs]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string? fashionDir = null;
bool cpuAcc = false, quick = false, cpuLbfgs = true;
for (int i = 0; i < args.Length; i++)
    switch (args[i])
    {
        case "--fashion": fashionDir = args[++i]; break;
        case "--cpu-accelerator": cpuAcc = true; break;
        case "--quick": quick = true; break;
        case "--no-cpu-lbfgs": cpuLbfgs = false; break;
    }
GpuDevice? dev;
if (cpuAcc) dev = GpuDevice.CreateCpuAccelerator();
else if (!GpuDevice.TryCreateCuda(out dev, out var why)) { Console.Error.WriteLine($"no CUDA: {why}"); return 2; }
using var device = dev!;
Console.Error.WriteLine($"device: {device}");
Emit("device", 0, "", device.ToString());

const double L2 = 1e-4, FStar = 0.3794770768995895;   // shared/reference/fashion-mnist-optimum.json
(int N, int D)[] shapes = quick ? [(2000, 784), (1000, 3072)] : [(60000, 784), (50000, 3072), (1000000, 784)];

// Copy bandwidth of the card (read + write of a 188 MB buffer), for the "≤ 1.5× one read of X" target.
double copyGBs;
{
    long n = quick ? 1 << 20 : 60000L * 784;
    using var a = device.Accelerator.Allocate1D<float>(n);
    using var b = device.Accelerator.Allocate1D<float>(n);
    ILGPU.Runtime.ArrayViewExtensions.CopyTo(a.View, device.Accelerator.DefaultStream, b.View); device.Accelerator.Synchronize();
    int reps = quick ? 3 : 50;
    var sw = Stopwatch.StartNew();
    for (int r = 0; r < reps; r++) ILGPU.Runtime.ArrayViewExtensions.CopyTo(a.View, device.Accelerator.DefaultStream, b.View);
    device.Accelerator.Synchronize();
    copyGBs = 2.0 * n * 4 * reps / sw.Elapsed.TotalSeconds / 1e9;
    Emit("copy_bandwidth", copyGBs, "GB/s", "device-to-device copy, read+write");
}

foreach (var (N, D) in shapes)
{
    var data = Synthetic(N, D, 10, seed: N + D);
    var theta = new double[10 * D + 10];
    var rng = new Random(5);
    for (int i = 0; i < theta.Length; i++) theta[i] = (rng.NextDouble() - 0.5) * 0.02;
    string tag = $"{N}x{D}";
    int[] sweep = N == 60000 && !quick ? [132, 264, 528, 1056] : [0];
    double best = double.MaxValue; int bestBlocks = 0;
    foreach (int mb in sweep)
    {
        using var gpu = new GpuSoftmaxLoss(device, data, new GpuEngineOptions(MaxBlocks: mb));
        gpu.UploadTheta(theta);
        for (int r = 0; r < 3; r++) gpu.EnqueueFullBatch();
        gpu.Synchronize();
        int reps = quick ? 3 : 100;
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++) gpu.EnqueueFullBatch();
        gpu.Synchronize();
        double ms = sw.Elapsed.TotalMilliseconds / reps;
        Emit($"fullbatch_kernels_{tag}_blocks{gpu.Blocks}", ms, "ms", "fused kernel + reduction, θ on device");
        if (ms < best) { best = ms; bestBlocks = gpu.Blocks; }
    }
    using (var gpu = new GpuSoftmaxLoss(device, data, new GpuEngineOptions(MaxBlocks: bestBlocks)))
    {
        var g = new double[theta.Length];
        gpu.Accumulate(theta, g, RowSet.Range(0, N));
        int reps = quick ? 3 : 50;
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++) { Array.Clear(g); gpu.Accumulate(theta, g, RowSet.Range(0, N)); }
        double call = sw.Elapsed.TotalMilliseconds / reps;
        Emit($"fullbatch_kernels_{tag}", best, "ms", $"best block count {bestBlocks}");
        Emit($"fullbatch_call_{tag}", call, "ms", "ISoftmaxLoss.Accumulate: θ up, kernels, sums down");
        Emit($"roundtrip_share_{tag}", (call - best) / call * 100, "%", "host round trip share of one evaluation");
        Emit($"floor_{tag}", (double)N * D * 4 / (copyGBs * 1e9) * 1e3, "ms", "one read of X at the copy bandwidth");
        // Correctness against the CPU engine (float32 SIMD, float64 sums).
        var cg = new double[theta.Length];
        var cs = new CpuSoftmaxLoss(data).Accumulate(theta, cg, RowSet.Range(0, N));
        Array.Clear(g);
        var gs = gpu.Accumulate(theta, g, RowSet.Range(0, N));
        Emit($"check_F_relerr_{tag}", Math.Abs(gs.Loss - cs.Loss) / cs.Loss, "", "vs CpuSoftmaxLoss (want < 1e-5)");
        Emit($"check_grad_relerr_{tag}", RelErr(g, cg), "", "vs CpuSoftmaxLoss (want < 1e-5)");
        var g2 = new double[theta.Length];
        gpu.Accumulate(theta, g2, RowSet.Range(0, N));
        Emit($"check_bitwise_repeat_{tag}", g.AsSpan().SequenceEqual(g2) ? 1 : 0, "", "1 = two runs bit-identical");
    }
}

// Fashion-MNIST (or synthetic of the same shape): SGD epoch and L-BFGS to F*(1+1e-6).
Dataset train;
bool real = fashionDir is not null && File.Exists(Path.Combine(fashionDir, "train-images-idx3-ubyte.gz"));
if (real)
{
    var raw = IdxReader.ReadPair(Path.Combine(fashionDir!, "train-images-idx3-ubyte.gz"), Path.Combine(fashionDir!, "train-labels-idx1-ubyte.gz"));
    train = Preprocessor.Fit(PreprocessKind.Scale, raw, 1f / 255).Apply(raw);
}
else train = Synthetic(quick ? 3000 : 60000, 784, 10, 99);
Emit("fashion_mnist_present", real ? 1 : 0, "", real ? "real data" : "synthetic stand-in; F* target skipped");
{
    // One epoch of the core's mini-batch solver (SgdRule) on the GPU loss (what `train --device cuda` runs), against the CPU loss.
    var mb = new MiniBatchOptions { LearningRate = 0.1, BatchSize = 256, Epochs = 1, Seed = 1 };
    using var loss = new GpuSoftmaxLoss(device, train);
    var theta0 = new double[loss.Parameters];
    SolverResult Epoch(ISoftmaxLoss l) =>
        new MiniBatchSolver(new SgdRule(0.9), mb).Minimize(new SoftmaxObjective(l, L2), theta0, new SolverContext());
    var gpuEpoch = Epoch(loss);
    var times = new List<double>();
    for (int e = 0; e < 5; e++)
    {
        var sw = Stopwatch.StartNew();
        gpuEpoch = Epoch(loss);
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    int steps = (loss.Rows + mb.BatchSize - 1) / mb.BatchSize;
    Emit("sgd_epoch_b256", times[times.Count / 2], "ms", $"median of 5, MiniBatchSolver(SgdRule) on GpuSoftmaxLoss, {steps} steps, momentum 0.9");
    var cpu = Epoch(new CpuSoftmaxLoss(train));
    Emit("check_sgd_epoch_theta_relerr", RelErr(gpuEpoch.Theta, cpu.Theta), "", "one epoch vs MiniBatchSolver(SgdRule) on CpuSoftmaxLoss");
    Emit("check_sgd_epoch_loss_relerr", Math.Abs(gpuEpoch.Value - cpu.Value) / cpu.Value, "", "epoch loss vs MiniBatchSolver(SgdRule) on CpuSoftmaxLoss");
}
{
    double target = real ? FStar * (1 + 1e-6) : double.NegativeInfinity;
    var lb = new LbfgsOptions { MaxIterations = real ? 2000 : 50, Precondition = false };
    var sw = Stopwatch.StartNew();
    using var loss = new GpuSoftmaxLoss(device, train);
    double upload = sw.Elapsed.TotalMilliseconds;
    var r = RunLbfgs(loss, lb, target);
    double total = sw.Elapsed.TotalMilliseconds;
    Emit("lbfgs_gpu_total", total, "ms", $"upload {upload:F0} ms + {r.Iterations} it, {r.Evaluations} evals, F {r.Value:R}, {r.Reason}");
    Emit("lbfgs_gpu_reached", real ? (r.Value <= target ? 1 : 0) : double.NaN, "", "F ≤ F*(1+1e-6)");
    if (cpuLbfgs)
    {
        var sc = Stopwatch.StartNew();
        var rc = RunLbfgs(new CpuSoftmaxLoss(train, new CpuEngineOptions(Threads: 2)), lb, target);
        Emit("lbfgs_cpu2_total", sc.Elapsed.TotalMilliseconds, "ms", $"CPU engine, 2 threads on this host: {rc.Iterations} it, F {rc.Value:R}");
        Emit("lbfgs_speedup_vs_cpu2", sc.Elapsed.TotalMilliseconds / total, "x", "same host; the target compares with the 2-core dev machine");
    }
}
return 0;

static SolverResult RunLbfgs(ISoftmaxLoss loss, LbfgsOptions options, double target)
{
    var cts = new CancellationTokenSource();
    var context = new SolverContext { CancellationToken = cts.Token, Progress = new Stop(target, cts) };
    return new LbfgsSolver(options).Minimize(new SoftmaxObjective(loss, 1e-4), new double[loss.Classes * loss.Features + loss.Classes], context);
}

static Dataset Synthetic(int n, int d, int c, int seed)
{
    var rng = new Random(seed);
    var x = new DenseMatrix(n, d);
    var y = new int[n];
    Parallel.For(0, (n + 9999) / 10000, blk =>
    {
        var r = new Random(seed * 7919 + blk);
        for (int i = blk * 10000; i < Math.Min(n, (blk + 1) * 10000); i++)
        {
            var row = x.Row(i);
            for (int k = 0; k < d; k++) row[k] = (float)r.NextDouble();
        }
    });
    for (int i = 0; i < n; i++) y[i] = rng.Next(c);
    return new Dataset(x, y, Enumerable.Range(0, c).Select(i => i.ToString()).ToArray());
}

static double RelErr(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
{
    double num = 0, den = 0;
    for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
    return Math.Sqrt(num / Math.Max(den, 1e-300));
}

static void Emit(string name, double value, string unit, string note) =>
    Console.WriteLine($"softmax-gpu\t{name}\t{value.ToString("G6", CultureInfo.InvariantCulture)}\t{unit}\t{note}");

/// <summary>Cancels L-BFGS once F reaches the target (synchronous progress sink).</summary>
sealed class Stop(double target, CancellationTokenSource cts) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        if (value.Loss <= target) cts.Cancel();
    }
}

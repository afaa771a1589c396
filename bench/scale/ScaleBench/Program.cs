// scale-bench: the streamed-pass benchmark of bench/scale/run. One JSON line per measurement on stdout.
//   scale-bench synth OUT.smxp ROWS        synthetic uint8 rows (784 features, 10 classes)
//   scale-bench passes FILE [REPS]         in-memory pass vs streamed pass (page cache), value and gradient
//   scale-bench cold FILE                  one streamed pass, timed (the caller evicts the file from the page cache first)
//   mpiexec.mpich -n K scale-bench allreduce [--sizes N,N] [--reps R]   MPI allreduce time per size (AllReduceBench.cs)
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Streaming;

const int D = 784, C = 10;
var pre = new Preprocessor(PreprocessKind.Scale, Preprocessor.PixelScale);
var engine = new CpuEngineOptions();
switch (args[0])
{
    case "synth":
        {
            int rows = int.Parse(args[2], CultureInfo.InvariantCulture);
            using var w = new PackedDatasetWriter(args[1], D, Enumerable.Range(0, C).Select(c => $"c{c}").ToArray(), PackedElementType.UInt8);
            var rng = new Random(1);
            var proto = new byte[C * D];
            rng.NextBytes(proto);
            var block = new byte[4096 * D];
            var labels = new int[4096];
            var noise = new byte[D];
            for (int start = 0; start < rows; start += 4096)
            {
                int n = Math.Min(4096, rows - start);
                for (int i = 0; i < n; i++)
                {
                    int y = labels[i] = rng.Next(C);
                    rng.NextBytes(noise);
                    for (int d = 0; d < D; d++) block[i * D + d] = (byte)((proto[y * D + d] + 3 * noise[d]) / 4);
                }
                w.Append(block.AsSpan(0, n * D), labels.AsSpan(0, n));
            }
            w.Complete();
            break;
        }
    case "passes":
        {
            int reps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
            using var file = PackedDataset.Open(args[1]);
            var theta = new double[C * D + C];
            var grad = new double[theta.Length];
            double Median(Action pass)
            {
                pass();   // warm: JIT, page cache
                var t = new List<double>();
                for (int r = 0; r < reps; r++) { var sw = Stopwatch.StartNew(); pass(); t.Add(sw.Elapsed.TotalSeconds); }
                t.Sort();
                return t[t.Count / 2];
            }
            var memory = new CpuSoftmaxLoss(pre.Apply(file.Load()), engine);
            double inMemory = Median(() => { Array.Clear(grad); memory.Accumulate(theta, grad, RowSet.Range(0, memory.Rows)); });
            memory = null;
            GC.Collect();
            foreach (long blockBytes in new long[] { 4 << 20, 16 << 20 })
                foreach (bool doubleBuffer in new[] { true, false })
                {
                    var streamed = new StreamingSoftmaxLoss(file, new StreamingOptions(blockBytes, engine, pre, DoubleBuffer: doubleBuffer));
                    double s = Median(() => { Array.Clear(grad); streamed.Accumulate(theta, grad, RowSet.Range(0, streamed.Rows)); });
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        measure = "pass", rows = file.Rows, bytes = file.Header.Rows * file.Header.RowBytes, threads = engine.EffectiveThreads,
                        block_bytes = blockBytes, double_buffer = doubleBuffer, in_memory_s = inMemory, streamed_s = s, ratio = s / inMemory,
                    }));
                }
            break;
        }
    case "cold":
        {
            using var file = PackedDataset.Open(args[1], verifyChunks: false);
            var theta = new double[C * D + C];
            var grad = new double[theta.Length];
            var streamed = new StreamingSoftmaxLoss(file, new StreamingOptions(16 << 20, engine, pre));
            var sw = Stopwatch.StartNew();
            streamed.Accumulate(theta, grad, RowSet.Range(0, streamed.Rows));
            double s = sw.Elapsed.TotalSeconds;
            long bytes = file.Header.Rows * file.Header.RowBytes;
            Console.WriteLine(JsonSerializer.Serialize(new { measure = "cold_pass", rows = file.Rows, bytes, seconds = s, mb_per_s = bytes / s / 1e6 }));
            break;
        }
    case "allreduce":
        return Softmax.ScaleBench.AllReduceBench.Run(ref args);
    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 2;
}
return 0;

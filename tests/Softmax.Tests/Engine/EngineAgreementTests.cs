using Softmax.Data;
using Softmax.Engine;
using Xunit.Abstractions;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Engine;

/// <summary>
/// Layer 2: the fast float32 engine (every kernel variant, 1 and 2 threads) agrees with the float64 reference.
/// F is compared by |F − F_ref| / |F_ref|; gradients by the norm-based ‖g − g_ref‖∞ / ‖g_ref‖∞, both ≤ 1e-5.
/// θ is rounded to float32 values so both engines see the same parameters.
/// </summary>
public class EngineAgreementTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    public static readonly int[] ClassCounts = [2, 3, 10, 100, 1000];

    private static (double FErr, double GErr) Compare(Dataset data, double[] theta, CpuEngineOptions options, RowSet? rows = null,
        IReadOnlyList<double>? classWeights = null)
    {
        var set = rows ?? RowSet.Range(0, data.Rows);
        var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data, classWeights), theta, set);
        var (f, g) = Evaluate(new CpuSoftmaxLoss(data, options with { ClassWeights = classWeights }), theta, set);
        Assert.True(double.IsFinite(f) && g.All(double.IsFinite), "the fast engine returned a non-finite value");
        return (Relative(f, fRef), RelativeInf(g, gRef));
    }

    public static TheoryData<int, KernelVariant> ClassesAndVariants() => WithVariants(ClassCounts);

    public static TheoryData<int, KernelVariant> RowCountsAndVariants() => WithVariants(1, 2, 63, 64, 65, 129, 255, 256, 257, 300, 513, 1001);

    public static TheoryData<int, KernelVariant> ExtremeFeatureCounts() => WithVariants(1, 17);

    public static TheoryData<int, KernelVariant> WeightedClassCounts() => WithVariants(2, 3, 10, 100);

    [SkippableTheory]
    [MemberData(nameof(ClassesAndVariants))]
    public void Every_feature_count_1_to_70_agrees(int classes, KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        double worstF = 0, worstG = 0;
        for (int d = 1; d <= 70; d++)
        {
            int rows = classes >= 100 ? 3 + d % 5 : 7 + d % 13;
            var data = Dense(rows, d, classes, seed: 100 * d + classes);
            var theta = Theta(classes, d, seed: d);
            var (fe, ge) = Compare(data, theta, new CpuEngineOptions(1, variant));
            Assert.True(fe <= Tolerance && ge <= Tolerance, $"C={classes} D={d} {variant}: F error {fe:E2}, gradient error {ge:E2}");
            worstF = Math.Max(worstF, fe);
            worstG = Math.Max(worstG, ge);
        }
        output.WriteLine($"C={classes} {variant}: worst F rel error {worstF:E2}, worst gradient rel-inf error {worstG:E2}");
    }

    [SkippableTheory]
    [MemberData(nameof(RowCountsAndVariants))]
    public void Row_counts_around_block_and_thread_boundaries_agree(int rows, KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        // D = 37 makes blocks of 256 rows; D = 700 blocks of ~70 rows on a 1 MiB L2 (the size follows the host's L2).
        foreach (int d in new[] { 37, 700 })
        {
            var data = Dense(rows, d, 10, seed: rows + d);
            int block = new CpuSoftmaxLoss(data, new CpuEngineOptions(1, variant)).BlockRows;
            Assert.InRange(block, 16, Avx512Kernels.ColumnStride);
            var theta = Theta(10, d, seed: rows, scale: 0.1);
            foreach (int threads in new[] { 1, 2 })
            {
                var (fe, ge) = Compare(data, theta, new CpuEngineOptions(threads, variant));
                Assert.True(fe <= Tolerance && ge <= Tolerance, $"N={rows} D={d} {variant} threads={threads}: F {fe:E2}, gradient {ge:E2}");
            }
        }
    }

    [SkippableFact]
    public void Block_gradients_staged_in_float32_across_several_stages_agree()
    {
        SkipUnlessRunnable(KernelVariant.Avx512);
        // CIFAR-like rows (D = 3008: uint8 rows go through the fused tile in several chunks): blocks of at least
        // 4·C = 40 rows, several blocks per float32 stage on a 1 MiB L2 (one on a large L2), and a row count that leaves
        // a partial stage and an odd last block in each thread's share; uint8 and float32 rows, a range and a scattered
        // subset.
        const int D = 3008, C = 10;
        var (probeBytes, probeDense, _) = ThreeLayouts(rows: 8, features: D, classes: C, seed: 4);
        int rows = new[] { probeBytes, probeDense }
            .Select(d => new CpuSoftmaxLoss(d, new CpuEngineOptions(1, KernelVariant.Avx512)))
            .Max(e => 4 * e.StagedBlocks * e.BlockRows + e.BlockRows / 2) | 1;
        var (bytes, dense, _) = ThreeLayouts(rows, D, C, seed: 5);
        var theta = Theta(C, D, seed: 6, scale: 0.02);
        var picked = Enumerable.Range(0, rows).Where(j => j % 3 != 1).Reverse().ToArray();
        var subset = RowSet.Of(picked, 0, picked.Length);
        foreach (var data in new[] { bytes, dense })
        {
            var engine = new CpuSoftmaxLoss(data, new CpuEngineOptions(1, KernelVariant.Avx512));
            Assert.InRange(engine.StagedBlocks, 1, Avx512Kernels.ColumnStride);
            output.WriteLine($"{data.Features.GetType().Name}: {engine.BlockRows} rows a block, {engine.StagedBlocks} blocks a stage, {rows} rows");
            foreach (var set in new[] { RowSet.Range(0, data.Rows), subset })
                foreach (int threads in new[] { 1, 2 })
                {
                    var (fe, ge) = Compare(data, theta, new CpuEngineOptions(threads, KernelVariant.Avx512), set);
                    output.WriteLine($"  {set.Count} rows, {threads} threads: F {fe:E2}, gradient {ge:E2}");
                    Assert.True(fe <= Tolerance && ge <= Tolerance, $"{data.Features.GetType().Name} threads={threads}: F {fe:E2}, gradient {ge:E2}");
                }
        }
    }

    [SkippableFact]
    public void Fused_uint8_ten_classes_in_several_chunks_with_odd_rows_and_index_lists_agree()
    {
        SkipUnlessRunnable(KernelVariant.Avx512);
        Assert.True(Avx512Kernels.CanFuseBytes(10, 3072, 3072));
        foreach (int rows in new[] { 1, 3, 301 })
        {
            var (bytes, _, _) = ThreeLayouts(rows, 3072, 10, seed: rows);
            var theta = Theta(10, 3072, seed: 3, scale: 0.02);
            var picked = Enumerable.Range(0, rows).Where(j => j % 3 != 1).Reverse().ToArray();
            var sets = new List<RowSet> { RowSet.Range(0, rows), RowSet.Of(picked, 0, picked.Length) };
            if (rows > 40) sets.Add(RowSet.Range(17, rows - 40));
            foreach (var set in sets)
                foreach (int threads in new[] { 1, 2 })
                {
                    var (fe, ge) = Compare(bytes, theta, new CpuEngineOptions(threads, KernelVariant.Avx512), set);
                    Assert.True(fe <= Tolerance && ge <= Tolerance, $"N={rows}, {set.Count} rows, threads={threads}: F {fe:E2}, gradient {ge:E2}");
                }
        }
    }

    [SkippableFact]
    public void Staged_results_are_bit_identical_run_after_run_and_after_value_calls()
    {
        SkipUnlessRunnable(KernelVariant.Avx512);
        var (bytes, dense, _) = ThreeLayouts(rows: 1100, features: 3072, classes: 10, seed: 9);
        var theta = Theta(10, 3072, seed: 10, scale: 0.02);
        foreach (var data in new[] { bytes, dense })
            foreach (int threads in new[] { 1, 2 })
            {
                var (f1, g1) = Evaluate(new CpuSoftmaxLoss(data, new CpuEngineOptions(threads)), theta);
                var engine = new CpuSoftmaxLoss(data, new CpuEngineOptions(threads));
                for (int run = 0; run < 3; run++)
                {
                    engine.Value(theta, RowSet.Range(0, 333));
                    var (f2, g2) = Evaluate(engine, theta);
                    Assert.Equal(f1, f2);
                    Assert.Equal(g1, g2);
                }
            }
    }

    /// <summary>Features, classes, threads: staged blocks of 240 rows (784 and 3072 features) and single 256-row blocks (100).</summary>
    public static TheoryData<int, int, int> StealingShapes() => new() { { 784, 10, 3 }, { 3072, 10, 2 }, { 100, 7, 2 } };

    [SkippableTheory]
    [MemberData(nameof(StealingShapes))]
    public void Groups_taken_from_a_slow_worker_give_the_bits_of_the_fixed_split(int features, int classes, int threads)
    {
        SkipUnlessRunnable(KernelVariant.Avx512);
        var (bytes, dense, _) = ThreeLayouts(rows: 3000, features, classes, seed: 21);
        var theta = Theta(classes, features, seed: 22, scale: 0.02);
        var all = RowSet.Range(0, 3000);
        foreach (var data in new[] { bytes, dense })
            foreach (var arithmetic in new[] { Precision.Float32, Precision.Float64 })
            {
                // The fixed split by definition: each share evaluated alone by a one-thread engine, in share order.
                var single = new CpuSoftmaxLoss(data, new CpuEngineOptions(1));
                single.TrySetArithmetic(arithmetic);
                var gRef = new double[theta.Length];
                LossSums fRef = default, vRef = default;
                for (int t = 0; t < threads; t++)
                {
                    int start = 3000 * t / threads, end = 3000 * (t + 1) / threads;
                    fRef += single.Accumulate(theta, gRef, RowSet.Range(start, end - start));
                    vRef += single.Value(theta, RowSet.Range(start, end - start));
                }
                for (int slow = 0; slow < threads; slow++)
                {
                    // The slow worker waits 20 ms before each group of its own, so the others finish first and take some.
                    int slowWorker = slow;
                    var engine = new CpuSoftmaxLoss(data, new CpuEngineOptions(threads)) { BeforeOwnGroup = t => { if (t == slowWorker) Thread.Sleep(20); } };
                    engine.TrySetArithmetic(arithmetic);
                    var g = new double[theta.Length];
                    var f = engine.Accumulate(theta, g, all);
                    Assert.True(engine.StolenGroups > 0, $"worker {slow} of {threads} kept all its groups");
                    int stolen = engine.StolenGroups;
                    var v = engine.Value(theta, all);
                    Assert.True(engine.StolenGroups > 0, $"worker {slow} of {threads} kept all its groups (value)");
                    output.WriteLine($"{data.Features.GetType().Name} {arithmetic} {features}x{classes}, {threads} threads, worker {slow} slow: {stolen} and {engine.StolenGroups} groups taken");
                    Assert.Equal(fRef, f);
                    Assert.Equal(gRef, g);
                    Assert.Equal(vRef, v);
                }
            }
    }

    [Theory]
    [InlineData(1e12f), InlineData(1e38f)]
    public void Scores_far_below_the_largest_give_probability_zero(float bias)
    {
        // Biases [b, 0, 1]: rows labelled 1 and 2 pay about b, and exp(o − m) for o − m = −b must be 0, not −0, NaN or
        // Inf (the AVX-512 exp clamps its argument).
        var x = new float[3 * 16];
        var data = new Dataset(DenseMatrix.FromRowMajor(x, 3, 16), [0, 1, 2], Names(3));
        var theta = new double[3 * 16 + 3];
        theta[48] = bias; theta[50] = 1;
        var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
        Assert.True(double.IsFinite(fRef) && fRef > bias / 2.0);
        foreach (var variant in AllVariants)
        {
            if (variant == KernelVariant.Avx512 && !Avx512Kernels.IsSupported) continue;
            foreach (int threads in new[] { 1, 2 })
            {
                var (fe, ge) = Compare(data, theta, new CpuEngineOptions(threads, variant));
                Assert.True(fe <= Tolerance && ge <= Tolerance, $"{variant} b={bias}: F {fe:E2}, gradient {ge:E2}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ExtremeFeatureCounts))]
    public void Extreme_scores_agree(int features, KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        // x = e_0 and W[:,0] = [10000, 0, 7e-7]: scores [10000, 0, 7e-7] on every row; one row per label.
        var x = new float[3 * features];
        for (int j = 0; j < 3; j++) x[j * features] = 1;
        var data = new Dataset(DenseMatrix.FromRowMajor(x, 3, features), [0, 1, 2], Names(3));
        var theta = new double[3 * features + 3];
        theta[0] = 10000; theta[features] = 0; theta[2 * features] = (float)7e-7;
        var (fRef, _) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
        Assert.Equal((0 + 10000 + (10000 - (double)(float)7e-7)) / 3, fRef, 1e-9);
        foreach (int threads in new[] { 1, 2 })
        {
            var (fe, ge) = Compare(data, theta, new CpuEngineOptions(threads, variant));
            Assert.True(fe <= Tolerance && ge <= Tolerance, $"{variant}: F {fe:E2}, gradient {ge:E2}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(WeightedClassCounts))]
    public void Sample_and_class_weights_agree(int classes, KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        var rng = new Random(classes);
        int rows = 333;
        var weights = Enumerable.Range(0, rows).Select(_ => (float)(rng.NextDouble() * 3)).ToArray();
        var data = Dense(rows, 29, classes, seed: classes, weights: weights);
        var theta = Theta(classes, 29, seed: 7, scale: 0.2);
        var classWeights = SampleWeights.Balanced(data);
        foreach (int threads in new[] { 1, 2 })
        {
            var (fe, ge) = Compare(data, theta, new CpuEngineOptions(threads, variant), classWeights: classWeights);
            Assert.True(fe <= Tolerance && ge <= Tolerance, $"C={classes} {variant} threads={threads}: F {fe:E2}, gradient {ge:E2}");
        }
    }

    [SkippableFact]
    public void Ten_classes_derive_the_last_class_gradient_and_it_agrees_on_its_own()
    {
        SkipUnlessRunnable(KernelVariant.Avx512);
        // With ten classes the AVX-512 kernels score classes 0…8 against class 9 and take class 9's weight gradient as
        // minus the sum of the other nine (each row of E sums to zero, whatever weight scales it). Checked on class 9's
        // block alone, relative to its own size, with sample and class weights, uint8 and float32 rows, 1 and 2 threads,
        // both arithmetics.
        const int C = 10, D = 784, rows = 517;
        var (bytes, dense, _) = ThreeLayouts(rows, D, C, seed: 11);
        var rng = new Random(12);
        var weights = Enumerable.Range(0, rows).Select(_ => (float)(rng.NextDouble() * 3)).ToArray();
        var theta = Theta(C, D, seed: 13, scale: 0.05);
        foreach (var plain in new[] { bytes, dense })
        {
            var data = new Dataset(plain.Features, plain.Labels, plain.ClassNames, weights);
            var classWeights = SampleWeights.Balanced(data);
            var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data, classWeights), theta);
            foreach (int threads in new[] { 1, 2 })
            {
                var engine = new CpuSoftmaxLoss(data, new CpuEngineOptions(threads, KernelVariant.Avx512, classWeights));
                Assert.True(engine.LastClassDerived);
                var (f, g) = Evaluate(engine, theta);
                double lastError = RelativeInf(g.AsSpan((C - 1) * D, D), gRef.AsSpan((C - 1) * D, D));
                double restError = RelativeInf(g.AsSpan(0, (C - 1) * D), gRef.AsSpan(0, (C - 1) * D));
                output.WriteLine($"{data.Features.GetType().Name}, {threads} threads: F {Relative(f, fRef):E2}, class 9 {lastError:E2}, classes 0-8 {restError:E2}");
                Assert.True(Relative(f, fRef) <= Tolerance, $"F {Relative(f, fRef):E2}");
                Assert.True(lastError <= Tolerance && restError <= Tolerance, $"class 9 {lastError:E2}, classes 0-8 {restError:E2}");
                Assert.True(Relative(g[C * D + C - 1], gRef[C * D + C - 1]) <= Tolerance, "class 9's bias");
                // The float64 arithmetic derives class 9 the same way, to its own tolerances (F 1e-13, gradient 1e-12).
                Assert.True(engine.TrySetArithmetic(Precision.Float64));
                var (f64, g64) = Evaluate(engine, theta);
                double last64 = RelativeInf(g64.AsSpan((C - 1) * D, D), gRef.AsSpan((C - 1) * D, D));
                output.WriteLine($"  float64: F {Relative(f64, fRef):E2}, class 9 {last64:E2}, all {RelativeInf(g64, gRef):E2}");
                Assert.True(Relative(f64, fRef) <= 1e-13 && last64 <= 1e-12 && RelativeInf(g64, gRef) <= 1e-12, $"float64: F {Relative(f64, fRef):E2}, class 9 {last64:E2}");
            }
        }
    }

    [Fact]
    public void Weighted_objective_is_the_weighted_mean_of_cross_entropies()
    {
        // The reference itself, checked against a direct evaluation of F = Σ s_j ℓ_j / Σ s_j with class weights.
        float[] weights = [1, 2, 0.5f, 3, 1];
        var data = Dense(5, 4, 3, seed: 3, weights: weights);
        var theta = Theta(3, 4, seed: 4);
        double[] cw = [0.5, 2, 1];
        var (f, _) = Evaluate(new ReferenceSoftmaxLoss(data, cw), theta);
        double num = 0, den = 0;
        var x = new float[4];
        for (int j = 0; j < 5; j++)
        {
            data.Features.CopyRow(j, x);
            var o = new double[3];
            for (int c = 0; c < 3; c++) { o[c] = theta[12 + c]; for (int d = 0; d < 4; d++) o[c] += theta[c * 4 + d] * x[d]; }
            double s = weights[j] * cw[data.Labels[j]];
            num += s * -Math.Log(Math.Exp(o[data.Labels[j]]) / o.Sum(Math.Exp));
            den += s;
        }
        Assert.Equal(num / den, f, 1e-12);
    }

    [Fact]
    public void Balanced_class_weights_follow_scikit_learn()
    {
        // sklearn.utils.class_weight.compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,0,0,0,1,1,2])
        // = n_samples / (n_classes * bincount(y)) = 9 / (3 * [6, 2, 1]) = [0.5, 1.5, 3.0].
        var data = new Dataset(new DenseMatrix(9, 1), [0, 0, 0, 0, 0, 0, 1, 1, 2], Names(3));
        Assert.Equal([0.5, 1.5, 3.0], SampleWeights.Balanced(data));
        var empty = new Dataset(new DenseMatrix(2, 1), [0, 1], Names(3));
        // A class without rows gets weight 0 (scikit-learn refuses such a class); the others n / (C · count) = 2 / 3.
        Assert.Equal([2.0 / 3, 2.0 / 3, 0.0], SampleWeights.Balanced(empty));
        // With balanced weights every class carries the same total weight n / C.
        var big = Dense(1000, 2, 7, seed: 1);
        var w = SampleWeights.Balanced(big);
        var counts = big.ClassCounts();
        for (int c = 0; c < 7; c++) Assert.Equal(1000.0 / 7, w[c] * counts[c], 1e-9);
    }

    /// <summary>
    /// (rows, features, classes) × variant; the last three: uint8 rows converted inside the forward tile (D a multiple
    /// of 16) with more than one panel and leftover classes, and long rows that go in chunks.
    /// </summary>
    public static TheoryData<int, int, int, KernelVariant> LayoutShapes()
    {
        var data = new TheoryData<int, int, int, KernelVariant>();
        foreach (var (rows, features, classes) in new[] { (1, 64, 3), (300, 64, 10), (257, 5, 2), (130, 300, 100), (131, 96, 23), (77, 48, 15), (65, 1600, 11) })
            foreach (var variant in AllVariants) data.Add(rows, features, classes, variant);
        return data;
    }

    public static TheoryData<KernelVariant> Variants() => new(AllVariants);

    [SkippableTheory]
    [MemberData(nameof(LayoutShapes))]
    public void Bytes_dense_and_csr_layouts_agree(int rows, int features, int classes, KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        var (bytes, dense, csr) = ThreeLayouts(rows, features, classes, seed: rows * features);
        var theta = Theta(classes, features, seed: 11, scale: 0.3);
        var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(dense), theta);
        foreach (var data in new[] { bytes, dense, csr })
        {
            // The reference on each layout gives the same float64 result: the CSR and dense rows hold the same float32
            // numbers; uint8 rows are the float32 nearest byte/255, which the float32 product byte·(1/255f) may miss by an ulp.
            var (fr, gr) = Evaluate(new ReferenceSoftmaxLoss(data), theta);
            double same = data.Features is ByteMatrix ? 1e-7 : 1e-12;
            Assert.True(Relative(fr, fRef) <= same, $"reference on {data.Features.GetType().Name}: F {Relative(fr, fRef):E2}");
            Assert.True(RelativeInf(gr, gRef) <= same);
            foreach (int threads in new[] { 1, 2 })
            {
                var (f, g) = Evaluate(new CpuSoftmaxLoss(data, new CpuEngineOptions(threads, variant)), theta);
                double fe = Relative(f, fr), ge = RelativeInf(g, gr);
                Assert.True(fe <= Tolerance && ge <= Tolerance, $"{data.Features.GetType().Name} {variant} threads={threads}: F {fe:E2}, gradient {ge:E2}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Variants))]
    public void Row_ranges_and_index_lists_agree_with_the_reference_on_the_selected_rows(KernelVariant variant)
    {
        SkipUnlessRunnable(variant);
        var data = Dense(700, 45, 10, seed: 5);
        var theta = Theta(10, 45, seed: 6, scale: 0.2);
        var rng = new Random(8);
        var indices = Enumerable.Range(0, 700).ToArray();
        rng.Shuffle(indices);
        var sets = new (RowSet Set, int[] Rows)[]
        {
            (RowSet.Range(0, 700), Enumerable.Range(0, 700).ToArray()),
            (RowSet.Range(123, 1), [123]),
            (RowSet.Range(37, 300), Enumerable.Range(37, 300).ToArray()),
            (RowSet.Of(indices, 0, 256), indices[..256]),
            (RowSet.Of(indices, 256, 199), indices[256..455]),
            (RowSet.Of(indices, 699, 1), indices[699..]),
        };
        foreach (var (set, rows) in sets)
        {
            // Independent reference: the selected rows copied into their own dataset.
            var (fRef, gRef) = Evaluate(new ReferenceSoftmaxLoss(data.Take(rows)), theta);
            foreach (int threads in new[] { 1, 2 })
            {
                var (f, g) = Evaluate(new CpuSoftmaxLoss(data, new CpuEngineOptions(threads, variant)), theta, set);
                Assert.True(Relative(f, fRef) <= Tolerance && RelativeInf(g, gRef) <= Tolerance,
                    $"{set.Count} rows from {set.Start} ({(set.IsRange ? "range" : "indices")}), {variant}, threads={threads}");
            }
        }
    }

    [Fact]
    public void Value_alone_equals_value_with_gradient()
    {
        var data = Dense(300, 33, 10, seed: 9);
        var theta = Theta(10, 33, seed: 10);
        foreach (ISoftmaxLoss loss in new ISoftmaxLoss[] { new ReferenceSoftmaxLoss(data), new CpuSoftmaxLoss(data, new(2)), new CpuSoftmaxLoss(data, new(1, KernelVariant.Portable)) })
        {
            var objective = new SoftmaxObjective(loss, 1e-3, 1e-4);
            var g = new double[objective.Dimension];
            Assert.Equal(objective.ValueAndGradient(theta, g), objective.Value(theta), 1e-12);
        }
    }

    [Fact]
    public void Objective_adds_the_penalties_on_W_only()
    {
        var data = Dense(50, 6, 4, seed: 12);
        var theta = Theta(4, 6, seed: 13);
        var loss = new ReferenceSoftmaxLoss(data);
        var (f0, g0) = Evaluate(loss, theta);
        var objective = new SoftmaxObjective(loss, l2: 0.3, l1: 0.2);
        var g = new double[objective.Dimension];
        double f = objective.ValueAndGradient(theta, g);
        double sq = 0, abs = 0;
        for (int k = 0; k < 24; k++) { sq += theta[k] * theta[k]; abs += Math.Abs(theta[k]); }
        Assert.Equal(f0 + 0.15 * sq + 0.2 * abs, f, 1e-12);
        for (int k = 0; k < 24; k++) Assert.Equal(g0[k] + 0.3 * theta[k], g[k], 1e-14);
        for (int k = 24; k < 28; k++) Assert.Equal(g0[k], g[k]);   // the bias is not penalised
    }

    [Fact]
    public void Thread_count_gives_bit_identical_results_run_after_run()
    {
        var data = Dense(1000, 50, 10, seed: 14);
        var theta = Theta(10, 50, seed: 15);
        foreach (int threads in new[] { 1, 2 })
        {
            var (f1, g1) = Evaluate(new CpuSoftmaxLoss(data, new(threads)), theta);
            var engine = new CpuSoftmaxLoss(data, new(threads));
            for (int run = 0; run < 3; run++)
            {
                var (f2, g2) = Evaluate(engine, theta);
                Assert.Equal(f1, f2);
                Assert.Equal(g1, g2);
            }
        }
    }
}

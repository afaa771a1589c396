using Softmax.Data;
using Softmax.Optimization;
using Xunit.Abstractions;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Optimization;

/// <summary>
/// The statistics and the change of variables behind preconditioned L-BFGS, checked against float64 references:
/// the sampled covariance against a naive two-pass one over the same rows, and the whitening map against the algebra
/// it must satisfy (an exact inverse pair, and a gradient map that is the transpose of the parameter map's Jacobian).
/// </summary>
public class PreconditionerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(300, 37, 16384)]    // D not a multiple of 16 (padded rows), every row used
    [InlineData(500, 64, 16384)]    // S = D: the covariance is formed in place
    [InlineData(5000, 20, 700)]     // more rows than the sample: 700 evenly spaced rows
    public void Covariance_matches_a_naive_float64_covariance_of_the_sampled_rows(int rows, int features, int sample)
    {
        var data = Dense(rows, features, 3, seed: rows + features, scale: 2);
        var x = (DenseMatrix)data.Features;
        var moments = FeatureMoments.Compute(x, withCovariance: true, covarianceRows: sample);
        Assert.NotNull(moments.Covariance);
        int m = Math.Min(rows, sample), D = features;
        var picked = Enumerable.Range(0, m).Select(r => (int)((long)r * rows / m)).ToArray();
        var mu = new double[D];
        foreach (int i in picked)
            for (int d = 0; d < D; d++) mu[d] += x.Row(i)[d];
        for (int d = 0; d < D; d++) mu[d] /= m;
        double worst = 0, scale = 0;
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++)
            {
                double s = 0;
                foreach (int i in picked) s += (x.Row(i)[a] - mu[a]) * (x.Row(i)[b] - mu[b]);
                s /= m;
                scale = Math.Max(scale, Math.Abs(s));
                worst = Math.Max(worst, Math.Abs(moments.Covariance![a * D + b] - s));
            }
        output.WriteLine($"N={rows} D={D} m={m}: max |Σ − Σ_ref| = {worst:E2} (max |Σ_ref| {scale:E2})");
        Assert.True(worst <= 1e-5 * scale, $"covariance off by {worst:E2} (scale {scale:E2})");
    }

    [Fact]
    public void Covariance_is_bit_identical_run_to_run()
    {
        var x = Dense(3000, 50, 2, seed: 9).Features;
        var a = FeatureMoments.Compute(x).Covariance!;
        var b = FeatureMoments.Compute(x).Covariance!;
        Assert.Equal(a, b);
    }

    [Fact]
    public void Whitening_maps_are_an_inverse_pair_and_the_gradient_map_is_the_transposed_jacobian()
    {
        int C = 4, D = 23;
        var data = Dense(400, D, C, seed: 5, scale: 3);
        var map = new Whitening(FeatureMoments.Compute(data.Features), C, l2: 1e-3);
        int n = C * D + C;
        var rng = new Random(11);
        double[] Random() => Enumerable.Range(0, n).Select(_ => Gaussian(rng)).ToArray();

        var theta = Random();
        var phi = new double[n];
        var back = new double[n];
        map.ToInner(theta, phi);
        map.ToOuter(phi, back);
        double roundTrip = RelativeInf(back, theta);
        output.WriteLine($"‖ToOuter(ToInner(θ)) − θ‖∞ / ‖θ‖∞ = {roundTrip:E2}");
        Assert.True(roundTrip <= 1e-10);

        // ToOuter is affine, so J v = ToOuter(φ + v) − ToOuter(φ); then ⟨GradientToInner(g), v⟩ must equal ⟨g, J v⟩.
        for (int trial = 0; trial < 5; trial++)
        {
            var g = Random();
            var v = Random();
            var shifted = phi.Zip(v, (p, d) => p + d).ToArray();
            var outer0 = new double[n];
            var outer1 = new double[n];
            map.ToOuter(phi, outer0);
            map.ToOuter(shifted, outer1);
            double lhs = 0;
            for (int i = 0; i < n; i++) lhs += g[i] * (outer1[i] - outer0[i]);
            var gInner = (double[])g.Clone();
            map.GradientToInner(gInner);
            double rhs = 0;
            for (int i = 0; i < n; i++) rhs += gInner[i] * v[i];
            output.WriteLine($"trial {trial}: ⟨g, Jv⟩ = {lhs:R}, ⟨Jᵀg, v⟩ = {rhs:R}");
            Assert.True(Math.Abs(lhs - rhs) <= 1e-9 * Math.Max(1, Math.Abs(lhs)), $"{lhs} vs {rhs}");

            // GradientToOuter (L from the factor's upper triangle) undoes GradientToInner (Mᵀ with M = L⁻¹).
            var gOuter = new double[n];
            map.GradientToOuter(gInner, gOuter);
            double inverse = RelativeInf(gOuter, g);
            output.WriteLine($"trial {trial}: ‖GradientToOuter(GradientToInner(g)) − g‖∞ / ‖g‖∞ = {inverse:E2}");
            Assert.True(inverse <= 1e-10, $"gradient maps are not inverse: {inverse:E2}");
        }
    }

    [Fact]
    public void Whitening_factors_the_covariance_in_place_only_when_the_solver_owns_the_moments()
    {
        int C = 3, D = 31;
        var x = Dense(600, D, C, seed: 21, scale: 2).Features;
        var users = FeatureMoments.Compute(x);
        var original = (double[])users.Covariance!.Clone();
        var copied = new Whitening(users, C, l2: 1e-3);
        // A caller's moments are left as they were (a copy is factored).
        Assert.Equal(original, users.Covariance);

        var owned = FeatureMoments.Compute(x);
        owned.OwnedBySolver = true;
        var cov = owned.Covariance!;
        var inPlace = new Whitening(owned, C, l2: 1e-3);
        // The trainer's moments give their array up: no second D × D array beside them.
        Assert.Null(owned.Covariance);
        Assert.NotEqual(original, cov);

        // Both factorisations are the same bits: the maps agree exactly.
        int n = C * D + C;
        var rng = new Random(4);
        var phi = Enumerable.Range(0, n).Select(_ => Gaussian(rng)).ToArray();
        var a = new double[n];
        var b = new double[n];
        copied.ToOuter(phi, a);
        inPlace.ToOuter(phi, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Whitening_maps_are_the_same_bits_in_bands_on_any_thread_count()
    {
        // D² · C ≥ 1M multiply-adds: large enough for the maps to run in bands.
        int C = 30, D = 190;
        var x = Dense(800, D, 2, seed: 17, scale: 2).Features;
        int n = C * D + C;
        var rng = new Random(6);
        var phi = Enumerable.Range(0, n).Select(_ => Gaussian(rng)).ToArray();
        var g = Enumerable.Range(0, n).Select(_ => Gaussian(rng)).ToArray();
        (double[] Theta, double[] Inner) Maps(int threads)
        {
            var map = new Whitening(FeatureMoments.Compute(x), C, l2: 1e-4, threads);
            var theta = new double[n];
            map.ToOuter(phi, theta);
            var inner = (double[])g.Clone();
            map.GradientToInner(inner);
            return (theta, inner);
        }
        var one = Maps(1);
        foreach (int threads in new[] { 2, 3, 7 })
        {
            var banded = Maps(threads);
            Assert.Equal(one.Theta, banded.Theta);
            Assert.Equal(one.Inner, banded.Inner);
        }
    }

    [Fact]
    public void A_solver_keeps_its_whitening_for_the_same_problem_and_refuses_another_once_it_took_the_covariance()
    {
        int C = 3, D = 12;
        var data = Dense(300, D, C, seed: 8, scale: 2);
        var moments = FeatureMoments.Compute(data.Features);
        moments.OwnedBySolver = true;
        var solver = new LbfgsSolver(new LbfgsOptions { MaxIterations = 5 }, moments);
        var loss = new Softmax.Engine.CpuSoftmaxLoss(data, new Softmax.Engine.CpuEngineOptions(Threads: 1));
        var first = solver.Minimize(new Softmax.Engine.SoftmaxObjective(loss, 1e-3), new double[C * D + C], new SolverContext());
        var again = solver.Minimize(new Softmax.Engine.SoftmaxObjective(loss, 1e-3), new double[C * D + C], new SolverContext());
        Assert.Equal(first.Theta, again.Theta);
        Assert.Throws<InvalidOperationException>(() => solver.Minimize(new Softmax.Engine.SoftmaxObjective(loss, 1e-2), new double[C * D + C], new SolverContext()));
    }
}

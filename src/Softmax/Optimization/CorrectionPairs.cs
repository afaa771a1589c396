using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Softmax.Optimization;

/// <summary>
/// L-BFGS's memory: the last m correction pairs s = x⁺ − x, y = g⁺ − g in a ring (newest before <see cref="_head"/>),
/// with ρ = 1/sᵀy, and the two-loop recursion that applies the inverse-Hessian estimate they define.
/// s and y are differences formed in float64 and stored rounded to float32, half the memory of the solver's largest
/// buffer (40 pairs on Fashion-MNIST: 2.5 MB instead of 5); ρ, the dot products and the direction stay float64. The pairs
/// only shape the search direction: each is a secant pair to 6e-8 relative, far closer than the curvature they
/// estimate, and F, its gradient and the stop test never see them.
/// </summary>
internal sealed class CorrectionPairs
{
    private readonly int _m;
    private readonly double[] _rho, _alpha;
    private readonly float[][] _s, _y;
    private int _head;

    public CorrectionPairs(int m, int n)
    {
        _m = m;
        (_rho, _alpha) = (new double[m], new double[m]);
        _s = new float[m][];
        _y = new float[m][];
        for (int i = 0; i < m; i++) { _s[i] = new float[n]; _y[i] = new float[n]; }
    }

    /// <summary>Pairs held (≤ m); setting 0 forgets them all.</summary>
    public int Stored { get; set; }

    /// <summary>
    /// Stores the pair of the move x → xt (gradients g → gt) when sᵀy is positive enough to keep H positive definite;
    /// otherwise the slot is overwritten by the next pair.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(double[] x, double[] xt, double[] g, double[] gt)
    {
        int slot = _head;
        for (int i = 0; i < x.Length; i++) { _s[slot][i] = (float)(xt[i] - x[i]); _y[slot][i] = (float)(gt[i] - g[i]); }
        double sy = Dot(_s[slot], _y[slot]);
        if (sy > 1e-12 * Dot(_y[slot], _y[slot]))
        {
            _rho[slot] = 1 / sy;
            _head = (_head + 1) % _m;
            Stored = Math.Min(Stored + 1, _m);
        }
    }

    /// <summary>d = H·(−pg) by the two-loop recursion; H0 = γI with γ = sᵀy/yᵀy of the newest pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Direction(double[] pg, double[] d)
    {
        TensorPrimitives.Negate<double>(pg, d);
        for (int k = 0; k < Stored; k++)
        {
            int i = (_head - 1 - k + _m) % _m;
            _alpha[i] = _rho[i] * Dot(_s[i], d);
            AddScaled(_y[i], -_alpha[i], d);
        }
        if (Stored > 0)
        {
            int newest = (_head - 1 + _m) % _m;
            double gamma = 1 / (_rho[newest] * Dot(_y[newest], _y[newest]));
            TensorPrimitives.Multiply<double>(d, gamma, d);
        }
        for (int k = Stored - 1; k >= 0; k--)
        {
            int i = (_head - 1 - k + _m) % _m;
            double beta = _rho[i] * Dot(_y[i], d);
            AddScaled(_s[i], _alpha[i] - beta, d);
        }
    }

    /// <summary>Adds the pairs to a checkpoint (docs/formats.md, "Solver state"): pair i is "s{i}", "y{i}" in ring order.</summary>
    public void Save(Dictionary<string, double[]> vectors, Dictionary<string, double> scalars)
    {
        vectors["rho"] = (double[])_rho.Clone();
        for (int i = 0; i < _m; i++) { vectors[$"s{i}"] = Widen(_s[i]); vectors[$"y{i}"] = Widen(_y[i]); }
        (scalars["head"], scalars["stored"]) = (_head, Stored);
    }

    /// <summary>Reads the pairs back from a checkpoint <see cref="Save"/> wrote with the same m.</summary>
    public void Restore(SolverState state)
    {
        if (state.Vectors.ContainsKey($"s{_m}") || !state.Vectors.ContainsKey($"s{_m - 1}"))
            throw new ArgumentException($"The checkpoint was not written by L-BFGS with history size {_m}.");
        state.CopyVector("rho", _rho);
        var wide = new double[_s[0].Length];
        for (int i = 0; i < _m; i++)
        {
            state.CopyVector($"s{i}", wide);
            for (int k = 0; k < wide.Length; k++) _s[i][k] = (float)wide[k];
            state.CopyVector($"y{i}", wide);
            for (int k = 0; k < wide.Length; k++) _y[i][k] = (float)wide[k];
        }
        (_head, Stored) = ((int)state.Scalar("head"), (int)state.Scalar("stored"));
    }

    private static double[] Widen(float[] v) => Array.ConvertAll(v, x => (double)x);

    /// <summary>Σ a_i b_i in float64 (the floats widened exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(float[] a, float[] b)
    {
        int i = 0, w = Vector<float>.Count;
        var sum = Vector<double>.Zero;
        for (; i + w <= a.Length; i += w)
        {
            Vector.Widen(new Vector<float>(a, i), out var a0, out var a1);
            Vector.Widen(new Vector<float>(b, i), out var b0, out var b1);
            sum += a0 * b0 + a1 * b1;
        }
        double s = Vector.Sum(sum);
        for (; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Σ a_i b_i in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(float[] a, double[] b)
    {
        int i = 0, w = Vector<float>.Count, h = w / 2;
        var sum = Vector<double>.Zero;
        for (; i + w <= a.Length; i += w)
        {
            Vector.Widen(new Vector<float>(a, i), out var a0, out var a1);
            sum += a0 * new Vector<double>(b, i) + a1 * new Vector<double>(b, i + h);
        }
        double s = Vector.Sum(sum);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>d += α a, in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled(float[] a, double alpha, double[] d)
    {
        int i = 0, w = Vector<float>.Count, h = w / 2;
        var va = new Vector<double>(alpha);
        for (; i + w <= a.Length; i += w)
        {
            Vector.Widen(new Vector<float>(a, i), out var a0, out var a1);
            (new Vector<double>(d, i) + va * a0).CopyTo(d, i);
            (new Vector<double>(d, i + h) + va * a1).CopyTo(d, i + h);
        }
        for (; i < a.Length; i++) d[i] += alpha * a[i];
    }
}

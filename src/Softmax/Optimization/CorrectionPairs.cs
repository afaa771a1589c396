using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Softmax.Optimization;

/// <summary>
/// L-BFGS's memory: the last m correction pairs s = x⁺ − x, y = g⁺ − g in a ring (newest before <see cref="_head"/>),
/// with ρ = 1/sᵀy, and the two-loop recursion that applies the inverse-Hessian estimate they define.
/// </summary>
internal sealed class CorrectionPairs
{
    private readonly int _m;
    private readonly double[] _rho, _alpha;
    private readonly double[][] _s, _y;
    private int _head;

    public CorrectionPairs(int m, int n)
    {
        _m = m;
        (_rho, _alpha) = (new double[m], new double[m]);
        _s = new double[m][];
        _y = new double[m][];
        for (int i = 0; i < m; i++) { _s[i] = new double[n]; _y[i] = new double[n]; }
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
        for (int i = 0; i < x.Length; i++) { _s[slot][i] = xt[i] - x[i]; _y[slot][i] = gt[i] - g[i]; }
        double sy = TensorPrimitives.Dot<double>(_s[slot], _y[slot]);
        if (sy > 1e-12 * TensorPrimitives.Dot<double>(_y[slot], _y[slot]))
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
            _alpha[i] = _rho[i] * TensorPrimitives.Dot<double>(_s[i], d);
            TensorPrimitives.MultiplyAdd<double>(_y[i], -_alpha[i], d, d);
        }
        if (Stored > 0)
        {
            int newest = (_head - 1 + _m) % _m;
            double gamma = 1 / (_rho[newest] * TensorPrimitives.Dot<double>(_y[newest], _y[newest]));
            TensorPrimitives.Multiply<double>(d, gamma, d);
        }
        for (int k = Stored - 1; k >= 0; k--)
        {
            int i = (_head - 1 - k + _m) % _m;
            double beta = _rho[i] * TensorPrimitives.Dot<double>(_y[i], d);
            TensorPrimitives.MultiplyAdd<double>(_s[i], _alpha[i] - beta, d, d);
        }
    }

    /// <summary>Adds the pairs to a checkpoint (docs/formats.md, "Solver state"): pair i is "s{i}", "y{i}" in ring order.</summary>
    public void Save(Dictionary<string, double[]> vectors, Dictionary<string, double> scalars)
    {
        vectors["rho"] = (double[])_rho.Clone();
        for (int i = 0; i < _m; i++) { vectors[$"s{i}"] = (double[])_s[i].Clone(); vectors[$"y{i}"] = (double[])_y[i].Clone(); }
        (scalars["head"], scalars["stored"]) = (_head, Stored);
    }

    /// <summary>Reads the pairs back from a checkpoint <see cref="Save"/> wrote with the same m.</summary>
    public void Restore(SolverState state)
    {
        if (state.Vectors.ContainsKey($"s{_m}") || !state.Vectors.ContainsKey($"s{_m - 1}"))
            throw new ArgumentException($"The checkpoint was not written by L-BFGS with history size {_m}.");
        state.CopyVector("rho", _rho);
        for (int i = 0; i < _m; i++) { state.CopyVector($"s{i}", _s[i]); state.CopyVector($"y{i}", _y[i]); }
        (_head, Stored) = ((int)state.Scalar("head"), (int)state.Scalar("stored"));
    }
}

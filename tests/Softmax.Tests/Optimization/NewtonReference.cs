using Softmax.Data;

namespace Softmax.Tests.Optimization;

/// <summary>
/// An independent float64 reference optimum: damped Newton with the exact Hessian of
/// F(W, b) = (1/S) Σ_j s_j (−log p_{y_j}(x_j)) + (λ/2)‖W‖², for problems with C·(D+1) up to a few hundred.
/// Plain loops and a Cholesky solve; it shares no code with the engine (only the data's float64 rows).
/// F is invariant to adding one constant to every bias, so the Hessian is singular along that direction; a 1e-12
/// shift keeps the solve defined and does not move the optimum (the gradient has no component there).
/// </summary>
public sealed class NewtonReference
{
    private readonly double[][] _x;   // rows with a trailing 1 for the bias
    private readonly int[] _y;
    private readonly double[] _s;
    private readonly int _c, _d;
    private readonly double _l2, _total;

    public NewtonReference(Dataset data, double l2)
    {
        _c = data.ClassCount;
        _d = data.FeatureCount;
        _l2 = l2;
        _x = new double[data.Rows][];
        for (int j = 0; j < data.Rows; j++)
        {
            _x[j] = new double[_d + 1];
            data.Features.CopyRow(j, _x[j].AsSpan(0, _d));
            _x[j][_d] = 1;
        }
        _y = data.Labels.ToArray();
        _s = Enumerable.Range(0, data.Rows).Select(j => data.SampleWeights is null ? 1.0 : data.SampleWeights[j]).ToArray();
        _total = _s.Sum();
    }

    /// <summary>Index of W[c, d] (d = D is the bias) in the reference's layout.</summary>
    private int At(int c, int d) => c * (_d + 1) + d;

    /// <summary>F in float64 at θ given in the engine's layout (W row-major C×D, then b).</summary>
    public double Value(ReadOnlySpan<double> theta) => ValueOwn(ToOwn(theta));

    public double[] ToOwn(ReadOnlySpan<double> theta)
    {
        var v = new double[_c * (_d + 1)];
        for (int c = 0; c < _c; c++)
        {
            for (int d = 0; d < _d; d++) v[At(c, d)] = theta[c * _d + d];
            v[At(c, _d)] = theta[_c * _d + c];
        }
        return v;
    }

    private double[] Probabilities(double[] v, double[] x, out double logSum)
    {
        var o = new double[_c];
        for (int c = 0; c < _c; c++)
        {
            double s = 0;
            for (int d = 0; d <= _d; d++) s += v[At(c, d)] * x[d];
            o[c] = s;
        }
        double m = o.Max(), sum = 0;
        for (int c = 0; c < _c; c++) sum += Math.Exp(o[c] - m);
        logSum = m + Math.Log(sum);
        var p = new double[_c];
        for (int c = 0; c < _c; c++) p[c] = Math.Exp(o[c] - logSum);
        for (int c = 0; c < _c; c++) o[c] -= logSum;   // log-probabilities, kept in o
        _lastLog = o;
        return p;
    }

    private double[] _lastLog = [];

    private double ValueOwn(double[] v)
    {
        double f = 0;
        for (int j = 0; j < _x.Length; j++)
        {
            Probabilities(v, _x[j], out _);
            f -= _s[j] * _lastLog[_y[j]];
        }
        f /= _total;
        double w2 = 0;
        for (int c = 0; c < _c; c++) for (int d = 0; d < _d; d++) w2 += v[At(c, d)] * v[At(c, d)];
        return f + 0.5 * _l2 * w2;
    }

    private (double[] G, double[,] H) Derivatives(double[] v)
    {
        int n = v.Length;
        var g = new double[n];
        var h = new double[n, n];
        for (int j = 0; j < _x.Length; j++)
        {
            var x = _x[j];
            var p = Probabilities(v, x, out _);
            double w = _s[j] / _total;
            for (int c = 0; c < _c; c++)
            {
                double e = w * (p[c] - (c == _y[j] ? 1 : 0));
                for (int d = 0; d <= _d; d++) g[At(c, d)] += e * x[d];
                for (int k = 0; k < _c; k++)
                {
                    double a = w * p[c] * ((c == k ? 1 : 0) - p[k]);
                    if (a == 0) continue;
                    for (int d = 0; d <= _d; d++)
                        for (int e2 = 0; e2 <= _d; e2++) h[At(c, d), At(k, e2)] += a * x[d] * x[e2];
                }
            }
        }
        for (int c = 0; c < _c; c++)
            for (int d = 0; d < _d; d++) { g[At(c, d)] += _l2 * v[At(c, d)]; h[At(c, d), At(c, d)] += _l2; }
        return (g, h);
    }

    /// <summary>Minimises F to ‖∇F‖∞ ≤ 1e-13 (or as far as float64 goes); returns F*, ‖∇F‖∞ and the weights (engine layout).</summary>
    public (double F, double GradInf, double[] Theta) Solve(int maxIterations = 500)
    {
        int n = _c * (_d + 1);
        var v = new double[n];
        double f = ValueOwn(v), gInf = double.PositiveInfinity;
        for (int it = 0; it < maxIterations; it++)
        {
            var (g, h) = Derivatives(v);
            gInf = g.Max(Math.Abs);
            if (gInf <= 1e-13) break;
            for (int i = 0; i < n; i++) h[i, i] += 1e-12;
            var step = CholeskySolve(h, g);
            double slope = 0;
            for (int i = 0; i < n; i++) slope -= g[i] * step[i];
            double t = 1;
            var trial = new double[n];
            double ft;
            while (true)
            {
                for (int i = 0; i < n; i++) trial[i] = v[i] - t * step[i];
                ft = ValueOwn(trial);
                if (ft <= f + 1e-4 * t * slope || t < 1e-10) break;
                t *= 0.5;
            }
            if (!(ft <= f) && t < 1e-10) break;
            (v, f) = (trial, ft);
        }
        var theta = new double[_c * _d + _c];
        for (int c = 0; c < _c; c++)
        {
            for (int d = 0; d < _d; d++) theta[c * _d + d] = v[At(c, d)];
            theta[_c * _d + c] = v[At(c, _d)];
        }
        return (ValueOwn(v), gInf, theta);
    }

    /// <summary>
    /// F + λ1‖W‖₁ minimised by proximal gradient with backtracking (ISTA, then Newton-free but exact in float64):
    /// soft-thresholding on W, the bias free. Runs until the prox-gradient step moves θ by less than 1e-15.
    /// Returns F + λ1‖W‖₁ and θ in the engine's layout.
    /// </summary>
    public (double F, double[] Theta) SolveL1(double l1, int maxIterations = 200000)
    {
        int n = _c * (_d + 1);
        var v = new double[n];
        double Total(double[] u)
        {
            double f = ValueOwn(u);
            for (int c = 0; c < _c; c++) for (int d = 0; d < _d; d++) f += l1 * Math.Abs(u[At(c, d)]);
            return f;
        }
        double step = 1;
        for (int it = 0; it < maxIterations; it++)
        {
            var g = Gradient(v);
            double smooth = ValueOwn(v);
            double[] trial;
            while (true)
            {
                trial = new double[n];
                for (int c = 0; c < _c; c++)
                    for (int d = 0; d <= _d; d++)
                    {
                        double z = v[At(c, d)] - step * g[At(c, d)];
                        trial[At(c, d)] = d == _d ? z : Math.Sign(z) * Math.Max(Math.Abs(z) - step * l1, 0);
                    }
                double quad = smooth;
                for (int i = 0; i < n; i++) quad += g[i] * (trial[i] - v[i]) + (trial[i] - v[i]) * (trial[i] - v[i]) / (2 * step);
                if (ValueOwn(trial) <= quad + 1e-15 * Math.Abs(smooth) || step < 1e-12) break;
                step *= 0.5;
            }
            double move = 0;
            for (int i = 0; i < n; i++) move = Math.Max(move, Math.Abs(trial[i] - v[i]));
            v = trial;
            if (move <= 1e-15 * Math.Max(1, step)) break;
            step *= 1.5;
        }
        var theta = new double[_c * _d + _c];
        for (int c = 0; c < _c; c++)
        {
            for (int d = 0; d < _d; d++) theta[c * _d + d] = v[At(c, d)];
            theta[_c * _d + c] = v[At(c, _d)];
        }
        return (Total(v), theta);
    }

    private double[] Gradient(double[] v)
    {
        var g = new double[v.Length];
        for (int j = 0; j < _x.Length; j++)
        {
            var p = Probabilities(v, _x[j], out _);
            double w = _s[j] / _total;
            for (int c = 0; c < _c; c++)
            {
                double e = w * (p[c] - (c == _y[j] ? 1 : 0));
                for (int d = 0; d <= _d; d++) g[At(c, d)] += e * _x[j][d];
            }
        }
        for (int c = 0; c < _c; c++) for (int d = 0; d < _d; d++) g[At(c, d)] += _l2 * v[At(c, d)];
        return g;
    }

    private static double[] CholeskySolve(double[,] a, double[] b)
    {
        int n = b.Length;
        var l = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i, j];
                for (int k = 0; k < j; k++) s -= l[i, k] * l[j, k];
                l[i, j] = i == j ? Math.Sqrt(Math.Max(s, 1e-300)) : s / l[j, j];
            }
        var z = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i, k] * z[k];
            z[i] = s / l[i, i];
        }
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = z[i];
            for (int k = i + 1; k < n; k++) s -= l[k, i] * x[k];
            x[i] = s / l[i, i];
        }
        return x;
    }
}

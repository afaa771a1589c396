namespace Softmax.Optimization;

/// <summary>An exact linear change of variables θ = T(φ) for L-BFGS; F(T(φ)) has the same minimum as F.</summary>
internal interface IReparameterization
{
    void ToInner(ReadOnlySpan<double> theta, Span<double> phi);
    void ToOuter(ReadOnlySpan<double> phi, Span<double> theta);
    /// <summary>Maps ∂F/∂θ to ∂F/∂φ in place.</summary>
    void GradientToInner(Span<double> gradient);
    /// <summary>Maps ∂F/∂φ back to ∂F/∂θ (the stop test is on θ's gradient, whatever coordinates the solver uses).</summary>
    void GradientToOuter(ReadOnlySpan<double> inner, Span<double> outer);
    /// <summary>a_d such that |W_cd| = a_d |W̃_cd|, for OWL-QN's per-coordinate L1 weight; NaN when the map mixes features.</summary>
    double L1Scale(int feature);
}

/// <summary>
/// An exact change of variables φ = (W̃, b̃) ↔ θ = (W, b) with W_cd = a_d W̃_cd and b_c = b̃_c − Σ_d W_cd μ_d.
/// Scores are unchanged (W x + b = W̃ ((x − μ) ⊙ a) + b̃) and the bias is not penalised, so F(θ(φ)) is the same
/// objective with the same optimum; only its conditioning improves (L-BFGS then sees centred, unit-scale
/// features). Gradients map as ∂F/∂W̃_cd = a_d (∂F/∂W_cd − μ_d ∂F/∂b_c), ∂F/∂b̃_c = ∂F/∂b_c.
/// </summary>
internal sealed class Reparameterization : IReparameterization
{
    private readonly double[] _mu, _a;
    private readonly int _c, _d;

    public Reparameterization(FeatureMoments moments, int classes, double l2)
    {
        _c = classes;
        _d = moments.Mean.Length;
        _mu = moments.Mean;
        _a = new double[_d];
        // The floor keeps near-constant features from being blown up: their curvature is then dominated by λ2.
        double floor = Math.Max(4 * l2, 1e-8);
        for (int j = 0; j < _d; j++) _a[j] = 1 / Math.Sqrt(moments.Variance[j] + floor);
    }

    /// <inheritdoc />
    public double L1Scale(int feature) => _a[feature];

    public void ToInner(ReadOnlySpan<double> theta, Span<double> phi)
    {
        int C = _c, D = _d;
        for (int c = 0; c < C; c++)
        {
            double shift = 0;
            for (int j = 0; j < D; j++)
            {
                double w = theta[c * D + j];
                phi[c * D + j] = w / _a[j];
                shift += w * _mu[j];
            }
            phi[C * D + c] = theta[C * D + c] + shift;
        }
    }

    public void ToOuter(ReadOnlySpan<double> phi, Span<double> theta)
    {
        int C = _c, D = _d;
        for (int c = 0; c < C; c++)
        {
            double shift = 0;
            for (int j = 0; j < D; j++)
            {
                double w = phi[c * D + j] * _a[j];
                theta[c * D + j] = w;
                shift += w * _mu[j];
            }
            theta[C * D + c] = phi[C * D + c] - shift;
        }
    }

    /// <summary>Maps ∂F/∂θ to ∂F/∂φ in place.</summary>
    public void GradientToInner(Span<double> g)
    {
        int C = _c, D = _d;
        for (int c = 0; c < C; c++)
        {
            double gb = g[C * D + c];
            for (int j = 0; j < D; j++) g[c * D + j] = _a[j] * (g[c * D + j] - _mu[j] * gb);
        }
    }

    public void GradientToOuter(ReadOnlySpan<double> inner, Span<double> outer)
    {
        int C = _c, D = _d;
        for (int c = 0; c < C; c++)
        {
            double gb = inner[C * D + c];
            for (int j = 0; j < D; j++) outer[c * D + j] = inner[c * D + j] / _a[j] + _mu[j] * gb;
            outer[C * D + c] = gb;
        }
    }
}

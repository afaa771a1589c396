namespace Softmax.Optimization;

/// <summary>
/// An exact linear change of variables θ = T(φ) for L-BFGS over C classes and D features; F(T(φ)) has the same
/// minimum as F.
/// </summary>
internal abstract class Reparameterization(FeatureMoments moments, int classes)
{
    protected readonly int C = classes, D = moments.Mean.Length;
    protected readonly double[] Mu = moments.Mean;

    public abstract void ToInner(ReadOnlySpan<double> theta, Span<double> phi);
    public abstract void ToOuter(ReadOnlySpan<double> phi, Span<double> theta);
    /// <summary>Maps ∂F/∂θ to ∂F/∂φ in place.</summary>
    public abstract void GradientToInner(Span<double> gradient);
    /// <summary>Maps ∂F/∂φ back to ∂F/∂θ (the stop test is on θ's gradient, whatever coordinates the solver uses).</summary>
    public abstract void GradientToOuter(ReadOnlySpan<double> inner, Span<double> outer);
    /// <summary>a_d such that |W_cd| = a_d |W̃_cd|, for OWL-QN's per-coordinate L1 weight; NaN when the map mixes features.</summary>
    public abstract double L1Scale(int feature);
}

/// <summary>
/// An exact change of variables φ = (W̃, b̃) ↔ θ = (W, b) with W_cd = a_d W̃_cd and b_c = b̃_c − Σ_d W_cd μ_d.
/// Scores are unchanged (W x + b = W̃ ((x − μ) ⊙ a) + b̃) and the bias is not penalised, so F(θ(φ)) is the same
/// objective with the same optimum; only its conditioning improves (L-BFGS then sees centred, unit-scale
/// features). Gradients map as ∂F/∂W̃_cd = a_d (∂F/∂W_cd − μ_d ∂F/∂b_c), ∂F/∂b̃_c = ∂F/∂b_c.
/// </summary>
internal sealed class DiagonalScaling : Reparameterization
{
    private readonly double[] _a;

    public DiagonalScaling(FeatureMoments moments, int classes, double l2) : base(moments, classes)
    {
        _a = new double[D];
        // The floor keeps near-constant features from being blown up: their curvature is then dominated by λ2.
        double floor = Math.Max(4 * l2, 1e-8);
        for (int j = 0; j < D; j++) _a[j] = 1 / Math.Sqrt(moments.Variance[j] + floor);
    }

    public override double L1Scale(int feature) => _a[feature];

    public override void ToInner(ReadOnlySpan<double> theta, Span<double> phi)
    {
        for (int c = 0; c < C; c++)
        {
            double shift = 0;
            for (int j = 0; j < D; j++)
            {
                double w = theta[c * D + j];
                phi[c * D + j] = w / _a[j];
                shift += w * Mu[j];
            }
            phi[C * D + c] = theta[C * D + c] + shift;
        }
    }

    public override void ToOuter(ReadOnlySpan<double> phi, Span<double> theta)
    {
        for (int c = 0; c < C; c++)
        {
            double shift = 0;
            for (int j = 0; j < D; j++)
            {
                double w = phi[c * D + j] * _a[j];
                theta[c * D + j] = w;
                shift += w * Mu[j];
            }
            theta[C * D + c] = phi[C * D + c] - shift;
        }
    }

    public override void GradientToInner(Span<double> g)
    {
        for (int c = 0; c < C; c++)
        {
            double gb = g[C * D + c];
            for (int j = 0; j < D; j++) g[c * D + j] = _a[j] * (g[c * D + j] - Mu[j] * gb);
        }
    }

    public override void GradientToOuter(ReadOnlySpan<double> inner, Span<double> outer)
    {
        for (int c = 0; c < C; c++)
        {
            double gb = inner[C * D + c];
            for (int j = 0; j < D; j++) outer[c * D + j] = inner[c * D + j] / _a[j] + Mu[j] * gb;
            outer[C * D + c] = gb;
        }
    }
}

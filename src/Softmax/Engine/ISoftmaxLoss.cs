namespace Softmax.Engine;

/// <summary>Unnormalised sums an evaluation returns: Σ s_j·(−log p_{y_j}) and Σ s_j over the rows handed in.</summary>
public readonly record struct LossSums(double Loss, double Weight)
{
    /// <summary>Adds two partial sums (for example from two workers).</summary>
    public static LossSums operator +(LossSums a, LossSums b) => new(a.Loss + b.Loss, a.Weight + b.Weight);
}

/// <summary>
/// The data term of the softmax objective over the rows it is handed. Implementations (float64 reference,
/// SIMD CPU, GPU) differ only in how they loop.
/// <para>Parameters θ are laid out as W (C×D, row-major) followed by b (C); length C·D + C.</para>
/// <para><see cref="Accumulate"/> adds Σ_j s_j (p(x_j) − e_{y_j}) x_jᵀ into the W part of
/// <c>gradientSums</c> and Σ_j s_j (p(x_j) − e_{y_j}) into the b part, without dividing by anything and
/// without regularisation: sums from several calls or workers simply add.</para>
/// </summary>
public interface ISoftmaxLoss
{
    /// <summary>Number of classes C.</summary>
    int Classes { get; }

    /// <summary>Number of features D.</summary>
    int Features { get; }

    /// <summary>Number of rows available.</summary>
    int Rows { get; }

    /// <summary>Adds the sums over <paramref name="rows"/> into <paramref name="gradientSums"/> and returns the loss and weight sums.</summary>
    LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows);

    /// <summary>Loss and weight sums only (no gradient).</summary>
    LossSums Value(ReadOnlySpan<double> theta, RowSet rows);

    /// <summary>
    /// The arithmetic of the sums now. float32 sums carry ~1e-7 relative error (a noise floor for F and the gradient);
    /// float64 sums ~1e-15. An engine that has only one arithmetic reports it (the reference is float64).
    /// </summary>
    Precision Arithmetic => Precision.Float64;

    /// <summary>Asks for float32 or float64 sums from now on; false when this engine does not offer that arithmetic.</summary>
    bool TrySetArithmetic(Precision arithmetic) => arithmetic == Arithmetic;
}

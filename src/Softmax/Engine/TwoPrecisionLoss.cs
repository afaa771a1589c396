namespace Softmax.Engine;

/// <summary>
/// A float32-only engine (the GPU) paired with the CPU engine over the same rows for its float64 arithmetic: float32
/// sums come from <paramref name="fast"/>, float64 sums from <paramref name="exact"/>. Auto precision then polishes on the
/// CPU once the fast engine reaches its noise floor, and the reported F is float64, whatever the fast engine is.
/// </summary>
public sealed class TwoPrecisionLoss(ISoftmaxLoss fast, CpuSoftmaxLoss exact) : ISoftmaxLoss, IDisposable
{
    private readonly ISoftmaxLoss _fast = fast ?? throw new ArgumentNullException(nameof(fast));
    private readonly CpuSoftmaxLoss _exact = Checked(fast, exact);
    private bool _useExact;

    private static CpuSoftmaxLoss Checked(ISoftmaxLoss fast, CpuSoftmaxLoss exact)
    {
        ArgumentNullException.ThrowIfNull(exact);
        if (fast.Classes != exact.Classes || fast.Features != exact.Features || fast.Rows != exact.Rows)
            throw new ArgumentException("Both engines must see the same rows.", nameof(exact));
        exact.TrySetArithmetic(Precision.Float64);
        return exact;
    }

    private ISoftmaxLoss Current => _useExact ? _exact : _fast;

    /// <inheritdoc />
    public int Classes => _fast.Classes;

    /// <inheritdoc />
    public int Features => _fast.Features;

    /// <inheritdoc />
    public int Rows => _fast.Rows;

    /// <inheritdoc />
    public Precision Arithmetic => _useExact ? Precision.Float64 : _fast.Arithmetic;

    /// <inheritdoc />
    public bool TrySetArithmetic(Precision arithmetic)
    {
        if (arithmetic == Precision.Auto) return false;
        _useExact = arithmetic == Precision.Float64 && _fast.Arithmetic != Precision.Float64;
        return arithmetic == Precision.Float64 || _fast.TrySetArithmetic(arithmetic);
    }

    /// <inheritdoc />
    public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows) => Current.Accumulate(theta, gradientSums, rows);

    /// <inheritdoc />
    public LossSums Value(ReadOnlySpan<double> theta, RowSet rows) => Current.Value(theta, rows);

    /// <summary>Disposes the fast engine (device memory).</summary>
    public void Dispose() => (_fast as IDisposable)?.Dispose();
}

using System.Numerics.Tensors;

namespace Softmax.Engine;

/// <summary>
/// The objective every solver minimises:
/// <code>
/// F(W, b) = (1/S) Σ_j s_j · (−log p_{y_j}(x_j)) + (λ2/2)‖W‖²_F + λ1‖W‖_1,   S = Σ_j s_j,
/// </code>
/// a weighted mean of the cross-entropy plus penalties on W only (the bias b is never penalised).
/// θ is W (C×D, row-major) then b (C), in float64. See docs/derivation.md.
/// <para>The value returned includes the λ1 term; the gradient written is that of the smooth part
/// (cross-entropy and λ2). The L1 term is not differentiable at 0: OWL-QN handles it.</para>
/// </summary>
public sealed class SoftmaxObjective
{
    private readonly double[] _buffer;

    /// <summary>Combines a data term with penalties; <paramref name="allReduce"/> sums the data term across workers.</summary>
    public SoftmaxObjective(ISoftmaxLoss loss, double l2, double l1 = 0, IAllReduce? allReduce = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (!(l2 >= 0) || !double.IsFinite(l2)) throw new ArgumentOutOfRangeException(nameof(l2), "λ2 must be finite and ≥ 0.");
        if (!(l1 >= 0) || !double.IsFinite(l1)) throw new ArgumentOutOfRangeException(nameof(l1), "λ1 must be finite and ≥ 0.");
        Loss = loss;
        L2 = l2;
        L1 = l1;
        AllReduce = allReduce;
        _buffer = new double[Dimension + 2];
    }

    /// <summary>The data term.</summary>
    public ISoftmaxLoss Loss { get; }

    /// <summary>λ2, the squared-L2 penalty on W.</summary>
    public double L2 { get; }

    /// <summary>λ1, the L1 penalty on W.</summary>
    public double L1 { get; }

    /// <summary>Cross-worker summation, or null for one process.</summary>
    public IAllReduce? AllReduce { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes => Loss.Classes;

    /// <summary>Number of features D.</summary>
    public int Features => Loss.Features;

    /// <summary>Length of θ: C·D + C.</summary>
    public int Dimension => Loss.Classes * Loss.Features + Loss.Classes;

    /// <summary>Number of entries of θ that are penalised (the W part).</summary>
    public int WeightCount => Loss.Classes * Loss.Features;

    /// <summary>F and the smooth gradient over all rows.</summary>
    public double ValueAndGradient(ReadOnlySpan<double> theta, Span<double> gradient) =>
        ValueAndGradient(theta, gradient, RowSet.Range(0, Loss.Rows));

    /// <summary>F and the smooth gradient with the data term averaged over <paramref name="rows"/> (a mini-batch).</summary>
    public double ValueAndGradient(ReadOnlySpan<double> theta, Span<double> gradient, RowSet rows)
    {
        if (gradient.Length != Dimension) throw new ArgumentException($"The gradient needs {Dimension} entries.", nameof(gradient));
        var buffer = _buffer.AsSpan();
        buffer.Clear();
        var sums = Loss.Accumulate(theta, buffer[..Dimension], rows);
        buffer[Dimension] = sums.Loss;
        buffer[Dimension + 1] = sums.Weight;
        AllReduce?.SumInPlace(buffer);
        double total = buffer[Dimension + 1];
        if (!(total > 0)) throw new InvalidOperationException("The rows carry no weight: every sample weight is zero.");
        TensorPrimitives.Multiply(buffer[..Dimension], 1.0 / total, gradient);
        double value = buffer[Dimension] / total;
        int m = WeightCount;
        if (L2 > 0)
        {
            var w = theta[..m];
            value += 0.5 * L2 * TensorPrimitives.Dot(w, w);
            TensorPrimitives.MultiplyAdd(w, L2, gradient[..m], gradient[..m]);
        }
        if (L1 > 0) value += L1 * TensorPrimitives.SumOfMagnitudes(theta[..m]);
        return value;
    }

    /// <summary>
    /// F over all rows in float64 arithmetic, whatever the loss runs in now (it is switched for this one pass and back):
    /// the value a user is shown. An engine with no float64 arithmetic (the GPU) gives its own value.
    /// </summary>
    public double ExactValue(ReadOnlySpan<double> theta)
    {
        var before = Loss.Arithmetic;
        bool switched = before != Precision.Float64 && Loss.TrySetArithmetic(Precision.Float64);
        try
        {
            return Value(theta);
        }
        finally
        {
            if (switched) Loss.TrySetArithmetic(before);
        }
    }

    /// <summary>F over all rows, without the gradient.</summary>
    public double Value(ReadOnlySpan<double> theta) => Value(theta, RowSet.Range(0, Loss.Rows));

    /// <summary>F with the data term averaged over <paramref name="rows"/>.</summary>
    public double Value(ReadOnlySpan<double> theta, RowSet rows)
    {
        var sums = Loss.Value(theta, rows);
        Span<double> pair = [sums.Loss, sums.Weight];
        AllReduce?.SumInPlace(pair);
        if (!(pair[1] > 0)) throw new InvalidOperationException("The rows carry no weight: every sample weight is zero.");
        double value = pair[0] / pair[1];
        var w = theta[..WeightCount];
        if (L2 > 0) value += 0.5 * L2 * TensorPrimitives.Dot(w, w);
        if (L1 > 0) value += L1 * TensorPrimitives.SumOfMagnitudes(w);
        return value;
    }
}

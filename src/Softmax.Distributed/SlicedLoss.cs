namespace Softmax.Distributed;

/// <summary>
/// The data term over one process's rows held as consecutive slices, each its own engine, with the slices' sums added
/// in slice order: exactly what an allreduce over that many ranks adds (for 2 ranks, a + b). A 1-rank run over this
/// loss with the slices of a K-rank run is the bit-for-bit single-process reference of synchronous distributed SGD.
/// </summary>
public sealed class SlicedLoss : Softmax.Engine.ISoftmaxLoss
{
    private readonly Softmax.Engine.ISoftmaxLoss[] _slices;
    private readonly int[] _starts;
    private readonly int[] _rows;
    private double[] _gradient = [];

    /// <summary>Combines <paramref name="slices"/>: slice k holds the rows after those of slices 0..k−1.</summary>
    public SlicedLoss(IReadOnlyList<Softmax.Engine.ISoftmaxLoss> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        if (slices.Count == 0) throw new ArgumentException("No slices.", nameof(slices));
        _slices = [.. slices];
        _starts = new int[_slices.Length + 1];
        for (int k = 0; k < _slices.Length; k++)
        {
            if (_slices[k].Classes != _slices[0].Classes || _slices[k].Features != _slices[0].Features)
                throw new ArgumentException("The slices differ in shape.", nameof(slices));
            _starts[k + 1] = _starts[k] + _slices[k].Rows;
        }
        _rows = new int[Math.Max(1, _starts[^1])];
    }

    /// <inheritdoc />
    public int Classes => _slices[0].Classes;

    /// <inheritdoc />
    public int Features => _slices[0].Features;

    /// <inheritdoc />
    public int Rows => _starts[^1];

    /// <inheritdoc />
    public Softmax.Engine.Precision Arithmetic => _slices[0].Arithmetic;

    /// <inheritdoc />
    public bool TrySetArithmetic(Softmax.Engine.Precision arithmetic)
    {
        // Every slice, as every rank of the run it stands for sets its own engine.
        bool all = true;
        foreach (var slice in _slices) all &= slice.TrySetArithmetic(arithmetic);
        return all;
    }

    /// <inheritdoc />
    public Softmax.Engine.LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, Softmax.Engine.RowSet rows)
    {
        if (_gradient.Length != gradientSums.Length) _gradient = new double[gradientSums.Length];
        var total = default(Softmax.Engine.LossSums);
        gradientSums.Clear();
        for (int k = 0; k < _slices.Length; k++)
        {
            var part = Take(rows, k);
            Array.Clear(_gradient);
            var sums = _slices[k].Accumulate(theta, _gradient, part);
            total += sums;
            for (int i = 0; i < gradientSums.Length; i++) gradientSums[i] += _gradient[i];
        }
        return total;
    }

    /// <inheritdoc />
    public Softmax.Engine.LossSums Value(ReadOnlySpan<double> theta, Softmax.Engine.RowSet rows)
    {
        var total = default(Softmax.Engine.LossSums);
        for (int k = 0; k < _slices.Length; k++) total += _slices[k].Value(theta, Take(rows, k));
        return total;
    }

    /// <summary>The rows of <paramref name="rows"/> in slice <paramref name="k"/>, in order, as that slice's indices.</summary>
    private Softmax.Engine.RowSet Take(Softmax.Engine.RowSet rows, int k)
    {
        int lo = _starts[k], hi = _starts[k + 1], m = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            int j = rows[i];
            if (j >= lo && j < hi) _rows[m++] = j - lo;
        }
        return m == 0 ? Softmax.Engine.RowSet.Range(0, 0) : Softmax.Engine.RowSet.Of(_rows, 0, m);
    }
}

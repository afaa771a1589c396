using System.Buffers;

namespace Softmax.Serving;

/// <summary>Rows of D float32 features, row-major, in a pooled buffer; return it with <see cref="Dispose"/>.</summary>
internal sealed class RowBatch : IDisposable
{
    private float[] _values;

    public RowBatch(int features, int expectedRows)
    {
        Features = features;
        _values = ArrayPool<float>.Shared.Rent(Math.Max(features, features * Math.Clamp(expectedRows, 1, 1024)));
    }

    public int Features { get; }
    public int Rows { get; private set; }

    /// <summary>Row i: (D).</summary>
    public ReadOnlySpan<float> Row(int i) => _values.AsSpan(i * Features, Features);

    /// <summary>Room for one more row; call <see cref="Commit"/> once it is filled.</summary>
    public Span<float> Next()
    {
        long need = (long)(Rows + 1) * Features;
        if (need > _values.Length)
        {
            var bigger = ArrayPool<float>.Shared.Rent((int)Math.Min(int.MaxValue, Math.Max(need, 2L * _values.Length)));
            _values.AsSpan(0, Rows * Features).CopyTo(bigger);
            ArrayPool<float>.Shared.Return(_values);
            _values = bigger;
        }
        return _values.AsSpan(Rows * Features, Features);
    }

    public void Commit() => Rows++;

    public void Dispose()
    {
        var values = Interlocked.Exchange(ref _values, []);
        if (values.Length > 0) ArrayPool<float>.Shared.Return(values);
    }
}

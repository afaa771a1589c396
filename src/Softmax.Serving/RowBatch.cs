namespace Softmax.Serving;

/// <summary>Rows of D float32 features, row-major, in a pooled buffer; return it with <see cref="PooledArray{T}.Dispose"/>.</summary>
internal sealed class RowBatch(int features, int expectedRows)
    : PooledArray<float>(Math.Max(features, features * Math.Clamp(expectedRows, 1, 1024)))
{
    public int Features { get; } = features;
    public int Rows { get; private set; }

    /// <summary>Row i: (D).</summary>
    public ReadOnlySpan<float> Row(int i) => Items.AsSpan(i * Features, Features);

    /// <summary>Room for one more row; call <see cref="Commit"/> once it is filled.</summary>
    public Span<float> Next()
    {
        Ensure((long)(Rows + 1) * Features, Rows * Features);
        return Items.AsSpan(Rows * Features, Features);
    }

    public void Commit() => Rows++;
}

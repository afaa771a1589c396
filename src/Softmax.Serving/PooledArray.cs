using System.Buffers;

namespace Softmax.Serving;

/// <summary>An array rented from <see cref="ArrayPool{T}.Shared"/> that grows on demand; <see cref="Dispose"/> returns it.</summary>
internal abstract class PooledArray<T>(int capacity) : IDisposable
{
    private T[] _items = ArrayPool<T>.Shared.Rent(capacity);

    protected T[] Items => _items;

    /// <summary>Makes room for <paramref name="need"/> items (at least doubling), keeping the first <paramref name="keep"/>.</summary>
    protected void Ensure(long need, int keep)
    {
        if (need <= _items.Length) return;
        var bigger = ArrayPool<T>.Shared.Rent((int)Math.Min(int.MaxValue, Math.Max(need, 2L * _items.Length)));
        _items.AsSpan(0, keep).CopyTo(bigger);
        ArrayPool<T>.Shared.Return(_items);
        _items = bigger;
    }

    public void Dispose()
    {
        var items = Interlocked.Exchange(ref _items, []);
        if (items.Length > 0) ArrayPool<T>.Shared.Return(items);
    }
}

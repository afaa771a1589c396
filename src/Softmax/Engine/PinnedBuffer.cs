using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Softmax.Engine;

/// <summary>A 64-byte aligned array on the pinned object heap: safe to hold raw pointers into for its lifetime.</summary>
internal sealed unsafe class PinnedBuffer<T> where T : unmanaged
{
    private readonly T[] _array;
    private readonly int _offset;

    public PinnedBuffer(int length)
    {
        Length = length;
        _array = GC.AllocateArray<T>(length + 64 / sizeof(T), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        int mis = (int)(address & 63);
        _offset = mis == 0 ? 0 : (64 - mis) / sizeof(T);
    }

    public int Length { get; }

    public T* Pointer => (T*)Unsafe.AsPointer(ref _array[_offset]);

    public Span<T> Span => _array.AsSpan(_offset, Length);
}

using System.Runtime.InteropServices;

namespace Softmax.Engine;

/// <summary>
/// A 64-byte aligned block of native memory, freed when the buffer is collected. Its contents start undefined: the
/// owner clears it before each use. For buffers an engine may never touch (steal slots): in a process with a GC heap
/// limit (streaming under <c>--memory-limit</c>), a worker's thirty-odd 31 KiB slots as <see cref="PinnedBuffer{T}"/>
/// arrays raised peak RSS from 113–118 to 136–137 MiB even when unused (2026-12-02; the GC's reason was not pinned
/// down), and as native memory left it at 118. Not zeroing them here leaves the pages of a slot no worker takes
/// unmapped: zeroed on allocation, the float32 and float64 slots of two workers (6 MiB on Fashion-MNIST) were
/// resident whether used or not.
/// </summary>
internal sealed unsafe class NativeBuffer<T> where T : unmanaged
{
    public NativeBuffer(int length)
    {
        Length = length;
        nuint bytes = (nuint)Math.Max(1L, (long)length * sizeof(T));
        Pointer = (T*)NativeMemory.AlignedAlloc(bytes, 64);
        // The GC cannot see this memory: tell it, so that engines rebuilt per block (streaming with sample weights)
        // are collected as often as their size warrants.
        _bytes = (long)bytes;
        GC.AddMemoryPressure(_bytes);
    }

    ~NativeBuffer()
    {
        NativeMemory.AlignedFree(Pointer);
        GC.RemoveMemoryPressure(_bytes);
    }

    private readonly long _bytes;

    public int Length { get; }

    public T* Pointer { get; }

    public Span<T> Span => new(Pointer, Length);
}

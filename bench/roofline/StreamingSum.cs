using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Softmax.Bench.Roofline;

/// <summary>Read bandwidth: a Vector512 sum over a large float array, split into contiguous halves per thread.</summary>
public static unsafe class StreamingSum
{
    /// <summary>Sum of data[start, start+count). Eight accumulators hide the add latency; count is a multiple of 128.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Sum(float* p, long count)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
        float* end = p + count;
        for (; p < end; p += 128)
        {
            a0 += Vector512.Load(p);
            a1 += Vector512.Load(p + 16);
            a2 += Vector512.Load(p + 32);
            a3 += Vector512.Load(p + 48);
            a4 += Vector512.Load(p + 64);
            a5 += Vector512.Load(p + 80);
            a6 += Vector512.Load(p + 96);
            a7 += Vector512.Load(p + 112);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
    }

    /// <summary>Sums the whole buffer on <paramref name="threads"/> threads (one contiguous slice each).</summary>
    public static float SumParallel(float* p, long count, int threads)
    {
        if (threads == 1)
        {
            return Sum(p, count);
        }
        long slice = count / threads / 128 * 128;
        var partial = new float[threads];
        nint basePtr = (nint)p;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long n = t == threads - 1 ? count - slice * t : slice;
            partial[t] = Sum((float*)basePtr + slice * t, n);
        });
        return partial.Sum();
    }
}

namespace Softmax.Streaming;

/// <summary>
/// Decides whether training streams: it does when the decoded data would exceed the memory limit. The default
/// limit is <see cref="DefaultFraction"/> of the memory the runtime may use (the machine's RAM, or the container's or
/// <c>DOTNET_GCHeapHardLimit</c>'s limit when one is set), leaving room for the model, the solver and the OS cache.
/// </summary>
public static class MemoryBudget
{
    /// <summary>Share of available memory that decoded data may take before streaming switches on.</summary>
    public const double DefaultFraction = 0.5;

    /// <summary>The default limit in bytes.</summary>
    public static long DefaultLimit => (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * DefaultFraction);

    /// <summary>True when data of <paramref name="decodedBytes"/> should be streamed under <paramref name="limit"/> (null: the default).</summary>
    public static bool ShouldStream(long decodedBytes, long? limit = null) => decodedBytes > (limit ?? DefaultLimit);

    /// <summary>
    /// Block bytes for a streamed pass under <paramref name="limit"/>: two blocks resident, each at most 1/16 of the
    /// limit, between 1 MiB and 64 MiB.
    /// </summary>
    public static long BlockBytesFor(long? limit = null) => Math.Clamp((limit ?? DefaultLimit) / 16, 1L << 20, 64L << 20);
}

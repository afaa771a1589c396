namespace Softmax.Cli.Infrastructure;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler on the reporting thread, in order
/// (<see cref="Progress{T}"/> posts to the thread pool and may reorder or lag).
/// </summary>
public sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => handler(value);
}

using Softmax.IO;
using Softmax.Model;

namespace Softmax.Serving;

/// <summary>One served model and where it came from. Immutable: a reload publishes a new one.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">1 for the first model, +1 on each successful reload.</param>
/// <param name="Source">The file or upload it was read from.</param>
/// <param name="LoadedAt">When it was published.</param>
public sealed record ServedModel(SoftmaxModel Model, long Version, string Source, DateTimeOffset LoadedAt);

/// <summary>
/// Holds the current <see cref="ServedModel"/>. A request reads <see cref="Current"/> once and uses that snapshot to
/// the end, so a swap never changes a model under a request in flight; a swap is one reference write, so a reader
/// sees the old model or the new one, never a mix. A file that does not load is rejected and the old model stays.
/// </summary>
public sealed class ModelSlot
{
    private readonly Lock _swap = new();
    private ServedModel _current;

    /// <summary>Starts serving <paramref name="model"/>.</summary>
    public ModelSlot(SoftmaxModel model, string source) =>
        _current = new ServedModel(model ?? throw new ArgumentNullException(nameof(model)), 1, source, DateTimeOffset.UtcNow);

    /// <summary>The model to use for a request that starts now.</summary>
    public ServedModel Current => Volatile.Read(ref _current);

    /// <summary>Publishes <paramref name="model"/> and returns it with its version.</summary>
    public ServedModel Publish(SoftmaxModel model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_swap)
        {
            var next = new ServedModel(model, _current.Version + 1, source, DateTimeOffset.UtcNow);
            Interlocked.Exchange(ref _current, next);
            return next;
        }
    }

    /// <summary>Parses a model file's bytes and publishes it; a <see cref="ModelFormatException"/> leaves the old model serving.</summary>
    public ServedModel Load(ReadOnlySpan<byte> bytes, string source) => Publish(ModelFile.Deserialize(bytes, source), source);
}

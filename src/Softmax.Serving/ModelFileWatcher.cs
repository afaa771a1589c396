using Softmax.IO;

namespace Softmax.Serving;

/// <summary>
/// Reloads the served file when it changes (written in place, or renamed over as <see cref="ModelFile.Save"/> does).
/// Events are debounced; a file that does not load is logged and counted, and the old model keeps serving. No file
/// can end the process: the loader bounds what it reads, and an unexpected failure (a bug) is logged as one.
/// </summary>
internal sealed class ModelFileWatcher : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(250);
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _timer;
    private readonly string _path;
    private readonly ModelSlot _slot;
    private readonly ServingMetrics _metrics;
    private readonly Action<string>? _log;

    public ModelFileWatcher(string path, ModelSlot slot, ServingMetrics metrics, Action<string>? log)
    {
        _path = Path.GetFullPath(path);
        _slot = slot;
        _metrics = metrics;
        _log = log;
        _timer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Poke();
        _watcher.Created += (_, _) => Poke();
        _watcher.Renamed += (_, e) => { if (string.Equals(e.FullPath, _path, StringComparison.Ordinal)) Poke(); };
        _watcher.EnableRaisingEvents = true;
    }

    private void Poke() => _timer.Change(Debounce, Timeout.InfiniteTimeSpan);

    private void Reload()
    {
        try
        {
            var next = _slot.Publish(ModelFile.Load(_path), _path);
            _metrics.Reload("ok");
            _log?.Invoke($"reloaded: version {next.Version} from {_path} (file changed)");
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            _metrics.Reload("rejected");
            _log?.Invoke($"reload rejected: {e.Message}; still serving version {_slot.Current.Version}");
        }
        catch (Exception e)
        {
            // A timer callback that throws ends the process; the served model must outlive a loader bug.
            _metrics.Reload("failed");
            _log?.Invoke($"reload failed (a bug, please report it): {e}; still serving version {_slot.Current.Version}");
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _timer.Dispose();
    }
}

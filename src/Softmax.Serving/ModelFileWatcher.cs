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

    public ModelFileWatcher(string path, ModelSlot slot, ServingMetrics metrics, Action<string>? log)
    {
        path = Path.GetFullPath(path);
        _timer = new Timer(_ => Reload(path, slot, metrics, log), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Poke();
        _watcher.Created += (_, _) => Poke();
        _watcher.Renamed += (_, e) => { if (string.Equals(e.FullPath, path, StringComparison.Ordinal)) Poke(); };
        _watcher.EnableRaisingEvents = true;
    }

    private void Poke() => _timer.Change(Debounce, Timeout.InfiniteTimeSpan);

    private static void Reload(string path, ModelSlot slot, ServingMetrics metrics, Action<string>? log)
    {
        try
        {
            var next = slot.Publish(ModelFile.Load(path), path);
            metrics.Reload("ok");
            log?.Invoke($"reloaded: version {next.Version} from {path} (file changed)");
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            metrics.Reload("rejected");
            log?.Invoke($"reload rejected: {e.Message}; still serving version {slot.Current.Version}");
        }
        catch (Exception e)
        {
            // A timer callback that throws ends the process; the served model must outlive a loader bug.
            metrics.Reload("failed");
            log?.Invoke($"reload failed (a bug, please report it): {e}; still serving version {slot.Current.Version}");
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _timer.Dispose();
    }
}

using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.IO;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>
/// The testing aid behind the hidden <c>softmax train --distributed --debug-pid-dir</c> (see <see cref="TrainOutputFlags"/>):
/// each rank's process id, written when training starts, so a test can kill or stop one rank mid-run.
/// </summary>
public static class ScaleFlags
{
    /// <summary>
    /// Progress for rank <paramref name="rank"/>: writes its process id under <paramref name="directory"/> at the
    /// first report, then forwards to <paramref name="inner"/>. Null when there is nothing to do.
    /// </summary>
    public static IProgress<TrainingProgress>? WithPidFile(string? directory, int rank, IProgress<TrainingProgress>? inner)
    {
        if (directory is null) return inner;
        bool written = false;
        return new SyncProgress<TrainingProgress>(p =>
        {
            if (!written)
            {
                written = true;
                AtomicFile.WriteText(Path.Combine(directory, $"rank-{rank}.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            }
            inner?.Report(p);
        });
    }
}

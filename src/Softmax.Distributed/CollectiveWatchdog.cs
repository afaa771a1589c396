using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Softmax.Distributed;

/// <summary>
/// Bounds the time a rank waits inside a collective. A rank that dies is handled by the launcher (MPICH's hydra kills
/// the job when a rank exits abnormally), but a rank that hangs, stops or loses its network leaves the others blocked
/// in MPI_Allreduce forever. A background thread checks the collective in progress; past <see cref="Timeout"/> it
/// writes a clear error to stderr and ends this process at once (<c>_exit</c>), which makes the launcher end the job.
/// The timeout must exceed the longest time a fast rank can wait for a slow one: one pass over the largest shard.
/// </summary>
public sealed class CollectiveWatchdog : IDisposable
{
    /// <summary>Exit status of a process ended by the watchdog.</summary>
    public const int ExitCode = 75;

    private readonly int _rank;
    private long _enteredAt = -1;
    private string _operation = "";
    private volatile bool _stopped;

    /// <summary>Starts the watchdog thread for rank <paramref name="rank"/>.</summary>
    public CollectiveWatchdog(TimeSpan timeout, int rank)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "The collective timeout must be positive.");
        Timeout = timeout;
        _rank = rank;
        new Thread(Watch) { IsBackground = true, Name = "collective-watchdog" }.Start();
    }

    /// <summary>Longest wait allowed inside one collective.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Marks the start of a collective; dispose the result when it returns.</summary>
    public Scope Enter(string operation)
    {
        _operation = operation;
        Volatile.Write(ref _enteredAt, Stopwatch.GetTimestamp());
        return new Scope(this);
    }

    private void Watch()
    {
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(Timeout.TotalMilliseconds / 10, 10, 500));
        while (!_stopped)
        {
            Thread.Sleep(poll);
            long entered = Volatile.Read(ref _enteredAt);
            if (entered < 0) continue;
            if (Stopwatch.GetElapsedTime(entered) < Timeout) continue;
            try
            {
                Console.Error.WriteLine($"softmax: rank {_rank}: {_operation} did not complete within {Timeout.TotalSeconds:F0} s; another rank " +
                                        "has died, hung or lost its network. Ending the job; no model was written.");
                Console.Error.Flush();
            }
            finally { _exit(ExitCode); }
            return;
        }
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void _exit(int status);

    /// <inheritdoc />
    public void Dispose() => _stopped = true;

    /// <summary>The span of one collective.</summary>
    public readonly struct Scope(CollectiveWatchdog owner) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => Volatile.Write(ref owner._enteredAt, -1);
    }
}

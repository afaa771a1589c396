namespace Softmax.Engine;

/// <summary>
/// A process-wide team of background threads for the engine's short parallel sections. A mini-batch step is tens of
/// microseconds, so waking thread-pool workers for each one (Parallel.For) costs a visible share of an SGD epoch; the
/// team's threads spin briefly between sections and then sleep. Part t of a section always runs the same share of
/// the work, so results stay deterministic. Sections from different callers take turns; if the team is busy (or a
/// section is started from inside a team thread) the work falls back to Parallel.For.
/// </summary>
internal static class WorkerTeam
{
    private static readonly object Gate = new();
    private static readonly int Size = Math.Max(1, Environment.ProcessorCount);
    private static readonly ManualResetEventSlim[] Start = CreateEvents(Size);
    private static readonly Thread[] Threads = CreateThreads(Size);
    private static Action<int>? _work;
    private static int _parts;
    private static int _pending;
    private static Exception? _failure;
    [ThreadStatic] private static bool t_inTeam;

    /// <summary>Runs work(0..parts−1), part 0 on the calling thread, and returns when all parts are done.</summary>
    public static void Run(int parts, Action<int> work, ParallelOptions fallback)
    {
        if (parts <= 1) { work(0); return; }
        if (parts > Size || t_inTeam || !Monitor.TryEnter(Gate))
        {
            Parallel.For(0, parts, fallback, work);
            return;
        }
        try
        {
            _work = work;
            _parts = parts;
            _failure = null;
            Volatile.Write(ref _pending, parts - 1);
            for (int t = 1; t < parts; t++) Start[t].Set();
            try
            {
                work(0);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            // Always wait for the other parts before the next section may reuse the team.
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            if (_failure is { } failure) throw new AggregateException(failure);
        }
        finally
        {
            _work = null;
            Monitor.Exit(Gate);
        }
    }

    private static ManualResetEventSlim[] CreateEvents(int n)
    {
        var events = new ManualResetEventSlim[n];
        for (int i = 0; i < n; i++) events[i] = new ManualResetEventSlim(false, spinCount: 2000);
        return events;
    }

    private static Thread[] CreateThreads(int n)
    {
        var threads = new Thread[n];
        for (int i = 1; i < n; i++)
        {
            int index = i;
            threads[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"softmax-worker-{index}" };
            threads[i].Start();
        }
        return threads;
    }

    private static void Loop(int index)
    {
        t_inTeam = true;
        var start = Start[index];
        while (true)
        {
            start.Wait();
            start.Reset();
            try
            {
                if (index < _parts) _work!(index);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }
}

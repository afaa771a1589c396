using Softmax.Engine;

namespace Softmax.Scale.Tests;

/// <summary>
/// K in-process workers (threads) summing buffers as MPI's allreduce does: every worker ends with rank 0's buffer plus
/// rank 1's plus …, added in rank order, so every worker holds the same bits. One worker: the buffer is left as it is.
/// </summary>
internal sealed class ThreadedAllReduce(int ranks)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly Barrier _barrier = new(ranks);
    private readonly double[][] _slots = new double[ranks][];

    public int Ranks { get; } = ranks;

    public IAllReduce Member(int rank) => new Worker(this, rank);

    /// <summary>Runs <paramref name="body"/> on every rank, each on its own thread; returns the results in rank order.</summary>
    public T[] Run<T>(Func<int, IAllReduce, T> body)
    {
        var tasks = Enumerable.Range(0, Ranks).Select(r =>
            Task.Factory.StartNew(() => body(r, Member(r)), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Task.WaitAll(tasks);
        return tasks.Select(t => t.Result).ToArray();
    }

    private sealed class Worker(ThreadedAllReduce group, int rank) : IAllReduce
    {
        public void SumInPlace(Span<double> buffer)
        {
            if (group.Ranks == 1) return;
            group._slots[rank] = buffer.ToArray();
            Wait();
            for (int i = 0; i < buffer.Length; i++)
            {
                double sum = group._slots[0][i];
                for (int r = 1; r < group.Ranks; r++) sum += group._slots[r][i];
                buffer[i] = sum;
            }
            Wait();   // nobody overwrites a slot before every worker has read them all
        }

        private void Wait()
        {
            if (!group._barrier.SignalAndWait(Timeout)) throw new TimeoutException($"rank {rank}: the other workers did not join the allreduce.");
        }
    }
}

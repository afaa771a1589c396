using MPI;
using Softmax.Engine;

namespace Softmax.Distributed;

/// <summary>
/// <see cref="IAllReduce"/> over MPI: one MPI_Allreduce with MPI_SUM on float64 per call, guarded by an optional
/// <see cref="CollectiveWatchdog"/>. The objective hands it [gradient sums (C·D + C), loss sum, weight sum]; every rank
/// receives the same totals (MPICH combines in a fixed order for a fixed rank count), so every rank takes the identical
/// solver step and the weights stay bit-identical across ranks.
/// </summary>
public sealed class MpiAllReduce(Intracommunicator communicator, CollectiveWatchdog? watchdog = null) : IAllReduce
{
    private double[] _send = [], _receive = [];

    /// <summary>Calls so far.</summary>
    public long Calls { get; private set; }

    /// <summary>Time spent inside MPI_Allreduce (including waiting for slower ranks).</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <inheritdoc />
    public void SumInPlace(Span<double> buffer)
    {
        if (_send.Length != buffer.Length)
        {
            _send = new double[buffer.Length];
            _receive = new double[buffer.Length];
        }
        buffer.CopyTo(_send);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        using (watchdog?.Enter($"allreduce #{Calls + 1} of {buffer.Length} doubles"))
            communicator.Allreduce(_send, Operation<double>.Add, ref _receive);
        Elapsed += System.Diagnostics.Stopwatch.GetElapsedTime(start);
        Calls++;
        _receive.AsSpan(0, buffer.Length).CopyTo(buffer);
    }
}

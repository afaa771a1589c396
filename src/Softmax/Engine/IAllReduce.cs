namespace Softmax.Engine;

/// <summary>
/// Sums a buffer element-wise across workers (MPI ranks, processes) so that every worker ends with the total.
/// The objective hands it the gradient sums followed by the loss sum and the weight sum.
/// </summary>
public interface IAllReduce
{
    /// <summary>Replaces <paramref name="buffer"/> with its element-wise sum over all workers.</summary>
    void SumInPlace(Span<double> buffer);
}

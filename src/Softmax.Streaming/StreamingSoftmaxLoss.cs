using Softmax.Engine;
using Softmax.Optimization;

namespace Softmax.Streaming;

/// <summary>
/// The softmax data term over a packed file that need not fit in memory: each evaluation is one streamed pass.
/// Blocks are read through the memory map while the previous block is computed (<see cref="BlockStream"/>), and
/// each block's unnormalised sums come from <see cref="CpuSoftmaxLoss"/> and are added in block order, so a given
/// block size and thread count give bit-identical results run to run.
/// <para>Compared with the in-memory engine over the same rows, only the association of the float64 sums differs
/// (in memory each thread sums a contiguous half of all rows; here each block is split between the threads and
/// the block totals are added): F and the gradient agree to rounding, about 1e-15 relative per evaluation.</para>
/// <para>Rows are numbered 0..<see cref="Rows"/>−1 within the streamed range. Only contiguous <see cref="RowSet"/>
/// ranges are accepted: random row lists would turn a pass into random reads; mini-batch training over a stream
/// runs a <see cref="MiniBatchSolver"/> over a <see cref="BlockBatchPlan"/>, which shuffles blocks and rows within blocks.</para>
/// </summary>
/// <param name="file">The packed file, streamed whole or over the range in <paramref name="options"/>.</param>
/// <param name="options">Block size, range, engine and preprocessing.</param>
public sealed class StreamingSoftmaxLoss(PackedDataset file, StreamingOptions? options = null) : ISoftmaxLoss
{
    /// <summary>The block reader, shared with the moments pass and the mini-batch plan.</summary>
    public BlockStream Blocks { get; } = new BlockStream(file, options);

    /// <inheritdoc />
    public int Classes => Blocks.File.Classes;

    /// <inheritdoc />
    public int Features => Blocks.File.Features;

    /// <inheritdoc />
    public int Rows => Blocks.Rows;

    /// <inheritdoc />
    public Precision Arithmetic => Blocks.Arithmetic;

    /// <inheritdoc />
    public bool TrySetArithmetic(Precision arithmetic)
    {
        if (arithmetic == Precision.Auto) return false;
        Blocks.Arithmetic = arithmetic;
        return true;
    }

    /// <summary>Streamed passes made so far.</summary>
    public int Passes { get; private set; }

    /// <inheritdoc />
    public LossSums Accumulate(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows) => Pass(theta, gradientSums, rows, withGradient: true);

    /// <inheritdoc />
    public LossSums Value(ReadOnlySpan<double> theta, RowSet rows) => Pass(theta, Span<double>.Empty, rows, withGradient: false);

    private LossSums Pass(ReadOnlySpan<double> theta, Span<double> gradientSums, RowSet rows, bool withGradient)
    {
        int dim = Classes * Features + Classes;
        if (withGradient && gradientSums.Length != dim) throw new ArgumentException($"The gradient needs {dim} entries.", nameof(gradientSums));
        if (theta.Length != dim) throw new ArgumentException($"θ must have C·D + C = {dim} entries.", nameof(theta));
        if (!rows.IsRange) throw new NotSupportedException("A streamed loss sums over contiguous row ranges only; use a BlockBatchPlan for mini-batches.");
        if (rows.Start < 0 || rows.Count < 0 || (long)rows.Start + rows.Count > Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"Rows {rows.Start}..{rows.Start + rows.Count - 1} exceed {Rows}.");
        if (rows.Count == 0) return default;
        int B = Blocks.BlockRows, first = rows.Start / B, last = (rows.Start + rows.Count - 1) / B;
        var sums = default(LossSums);
        foreach (var block in Blocks.Read(Enumerable.Range(first, last - first + 1).ToArray()))
        {
            int lo = Math.Max(rows.Start, block.Index * B), hi = Math.Min(rows.Start + rows.Count, block.Index * B + block.Count);
            var local = RowSet.Range(lo - block.Index * B, hi - lo);
            sums += withGradient ? block.Loss.Accumulate(theta, gradientSums, local) : block.Loss.Value(theta, local);
        }
        Passes++;
        return sums;
    }
}

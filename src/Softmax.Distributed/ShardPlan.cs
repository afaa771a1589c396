using Softmax.Engine;
using Softmax.Streaming;

namespace Softmax.Distributed;

/// <summary>
/// Which rows a rank trains on. One file: rank r of K takes rows ⌊r·N/K⌋ .. ⌊(r+1)·N/K⌋−1 (the ranks share the
/// file, on shared storage or copied to each machine). A file list of exactly K files: rank r takes file r, and the
/// ranks exchange their row counts so each knows where its rows sit in the whole (for the preconditioner's sample).
/// </summary>
/// <param name="Path">The packed file this rank reads.</param>
/// <param name="RowStart">First row of that file this rank takes.</param>
/// <param name="RowCount">Rows it takes.</param>
/// <param name="GlobalOffset">Index of its first row among all ranks' rows (in rank order).</param>
/// <param name="TotalRows">Rows over all ranks.</param>
public sealed record ShardPlan(string Path, int RowStart, int RowCount, int GlobalOffset, int TotalRows)
{
    /// <summary>Rank <paramref name="rank"/>'s row range of one file of <paramref name="rows"/> rows.</summary>
    public static ShardPlan RowRange(string path, int rows, int rank, int ranks)
    {
        Check(rank, ranks);
        int start = (int)((long)rows * rank / ranks), end = (int)((long)rows * (rank + 1) / ranks);
        return new ShardPlan(path, start, end - start, start, rows);
    }

    /// <summary>
    /// Rank <paramref name="rank"/>'s shard of <paramref name="files"/>: of one file, its <see cref="RowRange"/>; of a
    /// list, file <paramref name="rank"/>, placed in the whole by the row counts summed across ranks.
    /// </summary>
    public static ShardPlan For(IReadOnlyList<string> files, int rank, int ranks, IAllReduce allReduce)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(allReduce);
        Check(rank, ranks);
        if (files.Count == 0) throw new ArgumentException("No data files.", nameof(files));
        if (files.Count != 1 && files.Count != ranks)
            throw new ArgumentException($"{files.Count} files for {ranks} ranks: give one packed file per rank, or one file to split by rows.", nameof(files));
        int rows;
        using (var file = PackedDataset.Open(files[files.Count == 1 ? 0 : rank], verifyChunks: false)) rows = file.Rows;
        if (files.Count == 1) return RowRange(files[0], rows, rank, ranks);
        var counts = new double[ranks];
        counts[rank] = rows;
        allReduce.SumInPlace(counts);
        long offset = 0, total = 0;
        for (int r = 0; r < ranks; r++) { if (r < rank) offset += (long)counts[r]; total += (long)counts[r]; }
        if (total > int.MaxValue) throw new InvalidOperationException($"{total} rows in all exceed 2^31−1.");
        return new ShardPlan(files[rank], 0, rows, (int)offset, (int)total);
    }

    private static void Check(int rank, int ranks)
    {
        if (ranks < 1) throw new ArgumentOutOfRangeException(nameof(ranks));
        if ((uint)rank >= (uint)ranks) throw new ArgumentOutOfRangeException(nameof(rank));
    }
}

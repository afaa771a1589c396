using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Streaming;

/// <summary>Settings of a streamed pass.</summary>
/// <param name="BlockBytes">Target bytes of stored rows per block; rounded to whole checksum chunks. Two blocks are
/// resident at a time (double buffering), so the data's memory is about 2 × this.</param>
/// <param name="Engine">CPU engine settings used on each block (threads, kernels, class weights).</param>
/// <param name="Preprocessor">Applied to each row as it is read: None and Scale are free on uint8 files (the engine
/// scales on the fly); Center and Standardize decode blocks to float32.</param>
/// <param name="RowStart">First row of the file this loss covers (a worker's shard).</param>
/// <param name="RowCount">Rows covered; −1 means to the end of the file.</param>
/// <param name="DoubleBuffer">Read the next block on a second thread while the current one is computed.</param>
public sealed record StreamingOptions(long BlockBytes = 4 << 20, CpuEngineOptions? Engine = null, Preprocessor? Preprocessor = null,
    int RowStart = 0, int RowCount = -1, bool DoubleBuffer = true)
{
    /// <summary>Checks the settings against a file.</summary>
    public StreamingOptions Validate(PackedDataset file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (BlockBytes < 1) throw new ArgumentOutOfRangeException(nameof(BlockBytes), "Block bytes must be positive.");
        if (RowStart < 0 || RowStart > file.Rows) throw new ArgumentOutOfRangeException(nameof(RowStart), $"Row {RowStart} is outside the {file.Rows} rows of {file.Path}.");
        if (RowCount < -1 || (RowCount >= 0 && (long)RowStart + RowCount > file.Rows))
            throw new ArgumentOutOfRangeException(nameof(RowCount), $"Rows {RowStart}+{RowCount} exceed the {file.Rows} rows of {file.Path}.");
        (Engine ?? new CpuEngineOptions()).Validate();
        return this;
    }

    /// <summary>Rows per block: whole chunks, at least one.</summary>
    public int BlockRows(PackedHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        long chunks = Math.Max(1, BlockBytes / Math.Max(1, header.ChunkRows * header.RowBytes));
        return (int)Math.Min(int.MaxValue / 2, chunks * header.ChunkRows);
    }
}

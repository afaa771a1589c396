using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Streaming;

/// <summary>
/// Streams a range of a packed file through two <see cref="RowBlock"/>s: while the caller computes on one, a
/// second thread reads the next block of the requested order into the other (double buffering). Blocks are
/// fixed row ranges (block k = rows k·B .. of the range), so any order of block indices is cheap to stream.
/// One pass at a time.
/// </summary>
public sealed class BlockStream
{
    private readonly RowBlock[] _slots;
    private readonly bool _doubleBuffer;

    /// <summary>Prepares the two block buffers.</summary>
    public BlockStream(PackedDataset file, StreamingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        options = (options ?? new StreamingOptions()).Validate(file);
        File = file;
        RowStart = options.RowStart;
        Rows = options.RowCount < 0 ? file.Rows - options.RowStart : options.RowCount;
        BlockRows = Math.Max(1, Math.Min(options.BlockRows(file.Header), Rows));
        BlockCount = (Rows + BlockRows - 1) / BlockRows;
        var pre = options.Preprocessor ?? new Preprocessor(PreprocessKind.None);
        var engine = options.Engine ?? new CpuEngineOptions();
        _doubleBuffer = options.DoubleBuffer;
        _slots = new RowBlock[_doubleBuffer ? 2 : 1];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new RowBlock(file, BlockRows, pre, engine);
    }

    /// <summary>The file.</summary>
    public PackedDataset File { get; }

    /// <summary>The arithmetic of every block's engine.</summary>
    internal Precision Arithmetic
    {
        get => _slots[0].Arithmetic;
        set { foreach (var slot in _slots) slot.Arithmetic = value; }
    }

    /// <summary>First file row of the range.</summary>
    public int RowStart { get; }

    /// <summary>Rows in the range.</summary>
    public int Rows { get; }

    /// <summary>Rows per block (the last block may be shorter).</summary>
    public int BlockRows { get; }

    /// <summary>Number of blocks.</summary>
    public int BlockCount { get; }

    /// <summary>
    /// The blocks listed in <paramref name="order"/> (all blocks in order when null), each valid until the next is
    /// asked for; while the caller computes on one, the next is read. Abandoning the enumeration waits for that read.
    /// </summary>
    public IEnumerable<RowBlock> Read(IReadOnlyList<int>? order = null)
    {
        int n = order?.Count ?? BlockCount;
        if (n == 0) yield break;
        void Fill(RowBlock slot, int i)
        {
            int b = order is null ? i : order[i];
            if ((uint)b >= (uint)BlockCount) throw new ArgumentOutOfRangeException(nameof(order), $"Block {b} is outside 0..{BlockCount - 1}.");
            slot.Fill(b, RowStart + b * BlockRows, Math.Min(BlockRows, Rows - b * BlockRows));
        }
        Fill(_slots[0], 0);
        for (int i = 0; i < n; i++)
        {
            var current = _slots[_doubleBuffer ? i & 1 : 0];
            Task? next = null;
            if (_doubleBuffer && i + 1 < n)
            {
                var slot = _slots[(i + 1) & 1];
                int k = i + 1;
                next = Task.Factory.StartNew(() => Fill(slot, k), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            try { yield return current; }
            finally
            {
                // Never leave a reader writing into a buffer after the caller moves on, even when it threw.
                if (next is not null) try { next.Wait(); } catch (AggregateException) when (next.IsFaulted) { }
            }
            if (next is not null) next.GetAwaiter().GetResult();
            else if (i + 1 < n) Fill(_slots[0], i + 1);
        }
    }
}

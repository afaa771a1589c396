using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Softmax.Data;

namespace Softmax.Streaming;

/// <summary>
/// An open packed row cache (format: <see cref="PackedHeader"/>), read through a memory map. Rows are read in
/// blocks: each read maps just the block's byte range and unmaps it afterwards, so the file's pages never
/// accumulate in the process's resident set and repeated passes run at page-cache (or disk) speed.
/// Reads may come from any one thread at a time per block; the instance itself holds no per-read state.
/// </summary>
public sealed unsafe class PackedDataset : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly ulong[] _table;
    private readonly int[] _verified;   // per chunk: 1 once its checksums matched
    private readonly bool _verifyChunks;
    private bool _disposed;

    private PackedDataset(string path, PackedHeader header, MemoryMappedFile map, ulong[] table, bool verify)
    {
        (Path, Header, _map, _table, _verifyChunks) = (path, header, map, table, verify);
        _verified = new int[header.ChunkCount];
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The parsed header.</summary>
    public PackedHeader Header { get; }

    /// <summary>Number of rows N.</summary>
    public int Rows => (int)Header.Rows;

    /// <summary>Number of features D.</summary>
    public int Features => Header.Features;

    /// <summary>Number of classes C.</summary>
    public int Classes => Header.Classes;

    /// <summary>Bytes the rows would take decoded in memory (<see cref="ByteMatrix"/> or padded <see cref="DenseMatrix"/>) with labels.</summary>
    public long DecodedBytes => Header.ElementType == PackedElementType.UInt8
        ? Header.Rows * (Header.Features + sizeof(int))
        : Header.Rows * ((long)DenseMatrix.PaddedLength(Header.Features) * sizeof(float) + sizeof(int));

    /// <summary>
    /// Opens <paramref name="path"/>, checking the header, the file length and the checksum of header and chunk table.
    /// With <paramref name="verifyChunks"/>, every chunk is checked against its checksums the first time it is read.
    /// </summary>
    public static PackedDataset Open(string path, bool verifyChunks = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PackedHeader.RequireLittleEndian();
        string full = System.IO.Path.GetFullPath(path);
        PackedHeader header;
        byte[] headerBytes;
        ulong[] table;
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            var fixedPart = new byte[PackedHeader.FixedBytes];
            stream.ReadAtLeast(fixedPart, fixedPart.Length, throwOnEndOfStream: false);
            stream.Position = PackedHeader.FixedBytes;
            header = PackedHeader.Parse(fixedPart, stream, full);
            if (stream.Length != header.FileBytes)
                throw new PackedFormatException(full, stream.Length, $"a file of {header.FileBytes} bytes for {header.Rows} rows", $"{stream.Length} bytes (truncated or over-long)");
            headerBytes = new byte[header.HeaderBytes];
            stream.Position = 0;
            stream.ReadExactly(headerBytes);
            table = new ulong[header.ChunkCount * 3];
            stream.Position = header.TableOffset;
            stream.ReadExactly(MemoryMarshal.AsBytes(table.AsSpan()));
            var expected = new byte[8];
            stream.ReadExactly(expected);
            if (PackedHeader.Checksum(headerBytes, MemoryMarshal.AsBytes(table.AsSpan())) != BitConverter.ToUInt64(expected))
                throw new PackedFormatException(full, header.FileBytes - 8, "the checksum of header and chunk table", "a mismatch (the file is damaged)");
        }
        var map = MemoryMappedFile.CreateFromFile(full, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        return new PackedDataset(full, header, map, table, verifyChunks);
    }

    /// <summary>Packs an in-memory dataset: uint8 rows stay uint8 (with their scale), dense and sparse rows become float32.</summary>
    public static PackedHeader Pack(Dataset data, string path, PackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var bytes = data.Features as ByteMatrix;
        using var writer = new PackedDatasetWriter(path, data.FeatureCount, data.ClassNames,
            bytes is null ? PackedElementType.Float32 : PackedElementType.UInt8, bytes?.Scale ?? 1f, data.SampleWeights is not null, data.Image, data.Name, options);
        const int Step = 4096;
        var row = bytes is null ? new float[Step * data.FeatureCount] : [];
        for (int start = 0; start < data.Rows; start += Step)
        {
            int n = Math.Min(Step, data.Rows - start);
            var labels = data.Labels.AsSpan(start, n);
            var weights = data.SampleWeights is null ? default : data.SampleWeights.AsSpan(start, n);
            if (bytes is not null) writer.Append(bytes.Data.AsSpan(start * data.FeatureCount, n * data.FeatureCount), labels, weights);
            else
            {
                for (int i = 0; i < n; i++) data.Features.CopyRow(start + i, row.AsSpan(i * data.FeatureCount, data.FeatureCount));
                writer.Append(row.AsSpan(0, n * data.FeatureCount), labels, weights);
            }
        }
        return writer.Complete();
    }

    /// <summary>
    /// Maps rows <paramref name="start"/>..<paramref name="start"/>+<paramref name="count"/>−1 and hands their bytes
    /// (row-major, unpadded), labels and weights (empty when absent) to <paramref name="read"/>; the map is released
    /// when it returns.
    /// Chunks wholly inside the range are verified on first read; a mismatch throws <see cref="PackedFormatException"/>.
    /// </summary>
    public void Read(int start, int count, Action<ReadOnlySpan<byte>, ReadOnlySpan<int>, ReadOnlySpan<float>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (start < 0 || count < 0 || (long)start + count > Header.Rows)
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows {start}..{start + count - 1} exceed the {Header.Rows} rows of {Path}.");
        if (count == 0) { read(default, default, default); return; }
        using var rows = new View(_map, Header.RowsOffset + start * Header.RowBytes, count * Header.RowBytes);
        using var labels = new View(_map, Header.LabelsOffset + (long)start * sizeof(int), (long)count * sizeof(int));
        using var weights = Header.HasSampleWeights ? new View(_map, Header.WeightsOffset + (long)start * sizeof(float), (long)count * sizeof(float)) : null;
        var w = weights is null ? default : MemoryMarshal.Cast<byte, float>(weights.Span);
        var l = MemoryMarshal.Cast<byte, int>(labels.Span);
        if (_verifyChunks) Verify(start, count, rows.Span, labels.Span, weights is null ? default : weights.Span);
        for (int i = 0; i < l.Length; i++)
            if ((uint)l[i] >= (uint)Header.Classes)
                throw new PackedFormatException(Path, Header.LabelsOffset + (long)(start + i) * sizeof(int), $"a label in 0..{Header.Classes - 1} for row {start + i}", l[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        read(rows.Span, l, w);
    }

    /// <summary>Reads rows into memory as a <see cref="Dataset"/> (uint8 stays <see cref="ByteMatrix"/>): a shard, or a small file.</summary>
    public Dataset Load(int start = 0, int count = -1)
    {
        if (count < 0) count = Rows - start;
        Dataset? result = null;
        Read(start, count, (rows, labels, weights) => result = Build(Header, rows, labels, weights));
        return result!;
    }

    /// <summary>Stored rows, labels and weights (copied) as a <see cref="Dataset"/>: uint8 stays <see cref="ByteMatrix"/>.</summary>
    internal static Dataset Build(PackedHeader header, ReadOnlySpan<byte> rows, ReadOnlySpan<int> labels, ReadOnlySpan<float> weights)
    {
        int count = labels.Length, d = header.Features;
        FeatureMatrix features = header.ElementType == PackedElementType.UInt8
            ? new ByteMatrix(rows.ToArray(), count, d, header.Scale)
            : DenseMatrix.FromRowMajor(MemoryMarshal.Cast<byte, float>(rows), count, d);
        return new Dataset(features, labels.ToArray(), header.ClassNames, header.HasSampleWeights ? weights.ToArray() : null, header.Image, header.Name);
    }

    private void Verify(int start, int count, ReadOnlySpan<byte> rows, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> weights)
    {
        int R = Header.ChunkRows, rowBytes = (int)Header.RowBytes;
        long first = (start + R - 1) / R, last = ((long)start + count) / R;   // chunks wholly inside: [first, last)
        if ((long)start + count == Header.Rows) last = Header.ChunkCount;      // the final partial chunk
        for (long k = first; k < last; k++)
        {
            if (Volatile.Read(ref _verified[k]) != 0) continue;
            int offset = (int)(k * R - start), n = (int)Math.Min(R, Header.Rows - k * R);
            Check(k, 0, rows.Slice(offset * rowBytes, n * rowBytes), Header.RowsOffset + k * R * Header.RowBytes);
            Check(k, 1, labels.Slice(offset * sizeof(int), n * sizeof(int)), Header.LabelsOffset + k * R * sizeof(int));
            if (Header.HasSampleWeights) Check(k, 2, weights.Slice(offset * sizeof(float), n * sizeof(float)), Header.WeightsOffset + k * R * sizeof(float));
            Volatile.Write(ref _verified[k], 1);
        }
    }

    private void Check(long chunk, int part, ReadOnlySpan<byte> bytes, long offset)
    {
        if (XxHash64.HashToUInt64(bytes) != _table[chunk * 3 + part])
            throw new PackedFormatException(Path, offset, $"the checksum of chunk {chunk} ({(part == 0 ? "rows" : part == 1 ? "labels" : "weights")})", "a mismatch (the file is damaged)");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _map.Dispose();
    }

    /// <summary>One mapped byte range; unmapped (and its pages dropped from the resident set) on dispose.</summary>
    private sealed class View : IDisposable
    {
        private readonly MemoryMappedViewAccessor _accessor;
        private readonly byte* _pointer;
        private readonly int _length;

        public View(MemoryMappedFile map, long offset, long length)
        {
            if (length > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(length), "A block must be under 2 GiB.");
            _accessor = map.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            _accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _pointer = p + _accessor.PointerOffset;
            _length = (int)length;
            // Ask for the whole range now: the kernel reads it ahead asynchronously instead of one fault at a time.
            if (OperatingSystem.IsLinux()) _ = madvise(p, (nuint)(_accessor.PointerOffset + length), MadviseWillNeed);
        }

        private const int MadviseWillNeed = 3;

        [DllImport("libc", SetLastError = false)]
        private static extern int madvise(byte* address, nuint length, int advice);

        public ReadOnlySpan<byte> Span => new(_pointer, _length);

        public void Dispose()
        {
            _accessor.SafeMemoryMappedViewHandle.ReleasePointer();
            _accessor.Dispose();
        }
    }
}

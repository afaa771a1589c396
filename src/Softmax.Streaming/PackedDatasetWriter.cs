using System.IO.Hashing;
using System.Runtime.InteropServices;
using Softmax.Data;
using Softmax.IO;

namespace Softmax.Streaming;

/// <summary>Settings of a packed file.</summary>
/// <param name="ChunkBytes">Target bytes of row data per checksummed chunk (the unit of verification and the granule of blocks).</param>
public sealed record PackOptions(int ChunkBytes = 1 << 20)
{
    /// <summary>Checks the settings once.</summary>
    public PackOptions Validate()
    {
        if (ChunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(ChunkBytes), "Chunk bytes must be positive.");
        return this;
    }
}

/// <summary>
/// Writes a packed row cache (format: <see cref="PackedHeader"/>) from rows appended in order, never holding more
/// than the rows handed to one <see cref="Append(ReadOnlySpan{byte}, ReadOnlySpan{int}, ReadOnlySpan{float})"/>.
/// Rows go to a temporary file beside the target, labels and weights to side files; <see cref="Complete"/> joins
/// them, writes the checksums and renames the result over the target, so a reader never sees half a file.
/// Disposing without <see cref="Complete"/> deletes the temporary files.
/// </summary>
public sealed class PackedDatasetWriter : IDisposable
{
    private readonly string _target, _temp, _labelsTemp, _weightsTemp;
    private readonly FileStream _rows, _labels;
    private readonly FileStream? _weights;
    private readonly PackedHeader _header;
    private readonly List<ulong> _table = [];
    private readonly XxHash64 _rowHash = new(), _labelHash = new(), _weightHash = new();
    private long _written;
    private int _inChunk;
    private bool _done;

    /// <summary>Starts a file for rows of <paramref name="features"/> values of <paramref name="type"/>.</summary>
    public PackedDatasetWriter(string path, int features, IReadOnlyList<string> classNames, PackedElementType type,
        float scale = 1f, bool sampleWeights = false, ImageShape? image = null, string? name = null, PackOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        if (classNames.Count < 1) throw new ArgumentException("At least one class is needed.", nameof(classNames));
        options = (options ?? new PackOptions()).Validate();
        PackedHeader.RequireLittleEndian();
        int elementSize = type == PackedElementType.UInt8 ? 1 : 4;
        int chunkRows = (int)Math.Max(1, options.ChunkBytes / ((long)features * elementSize));
        _header = new PackedHeader(0, features, classNames.ToArray(), type, scale, sampleWeights, chunkRows, image, name);
        _target = Path.GetFullPath(path);
        string stem = Path.Combine(Path.GetDirectoryName(_target) ?? ".", $".{Path.GetFileName(_target)}.{Guid.NewGuid():N}");
        (_temp, _labelsTemp, _weightsTemp) = (stem + ".tmp", stem + ".labels.tmp", stem + ".weights.tmp");
        try
        {
            _rows = Create(_temp);
            _rows.Position = _header.Serialize().Length;
            _labels = Create(_labelsTemp);
            _weights = sampleWeights ? Create(_weightsTemp) : null;
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    /// <summary>Appends rows given as uint8 (for a uint8 file) with their labels and, when the file has them, weights.</summary>
    public void Append(ReadOnlySpan<byte> rows, ReadOnlySpan<int> labels, ReadOnlySpan<float> weights = default)
    {
        if (_header.ElementType != PackedElementType.UInt8) throw new InvalidOperationException("This file stores float32 rows.");
        AppendRaw(rows, labels, weights);
    }

    /// <summary>Appends float32 rows (for a float32 file) with their labels and, when the file has them, weights.</summary>
    public void Append(ReadOnlySpan<float> rows, ReadOnlySpan<int> labels, ReadOnlySpan<float> weights = default)
    {
        if (_header.ElementType != PackedElementType.Float32) throw new InvalidOperationException("This file stores uint8 rows.");
        AppendRaw(MemoryMarshal.AsBytes(rows), labels, weights);
    }

    private void AppendRaw(ReadOnlySpan<byte> rows, ReadOnlySpan<int> labels, ReadOnlySpan<float> weights)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        int n = labels.Length;
        if (rows.Length != n * _header.RowBytes) throw new ArgumentException($"{labels.Length} labels need {n * _header.RowBytes} row bytes, got {rows.Length}.", nameof(rows));
        if (_weights is not null && weights.Length != n) throw new ArgumentException($"This file keeps sample weights: {n} are needed, got {weights.Length}.", nameof(weights));
        if (_weights is null && weights.Length != 0) throw new ArgumentException("This file was created without sample weights.", nameof(weights));
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)_header.Classes) throw new ArgumentException($"Label {labels[i]} of row {_written + i} is outside 0..{_header.Classes - 1}.", nameof(labels));
            if (_weights is not null && (!(weights[i] >= 0) || !float.IsFinite(weights[i]))) throw new ArgumentException($"Weight {weights[i]} of row {_written + i} is not finite and non-negative.", nameof(weights));
        }
        int rowBytes = (int)_header.RowBytes;
        for (int i = 0; i < n;)
        {
            int take = Math.Min(n - i, _header.ChunkRows - _inChunk);
            var r = rows.Slice(i * rowBytes, take * rowBytes);
            var l = MemoryMarshal.AsBytes(labels.Slice(i, take));
            _rows.Write(r);
            _labels.Write(l);
            _rowHash.Append(r);
            _labelHash.Append(l);
            if (_weights is not null)
            {
                var w = MemoryMarshal.AsBytes(weights.Slice(i, take));
                _weights.Write(w);
                _weightHash.Append(w);
            }
            i += take;
            _inChunk += take;
            _written += take;
            if (_inChunk == _header.ChunkRows) CloseChunk();
        }
    }

    private void CloseChunk()
    {
        _table.Add(_rowHash.GetCurrentHashAsUInt64());
        _table.Add(_labelHash.GetCurrentHashAsUInt64());
        _table.Add(_weights is null ? 0 : _weightHash.GetCurrentHashAsUInt64());
        _rowHash.Reset();
        _labelHash.Reset();
        _weightHash.Reset();
        _inChunk = 0;
    }

    /// <summary>Finishes the file: appends labels, weights and checksums, flushes to disk, and renames it over the target.</summary>
    public PackedHeader Complete()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_written > int.MaxValue) throw new InvalidOperationException($"{_written} rows exceed the 2^31−1 rows a packed file holds; split the data into several files.");
        if (_inChunk > 0) CloseChunk();
        var header = _header with { Rows = _written };
        var headerBytes = header.Serialize();
        try
        {
            foreach (var side in new[] { _labels, _weights })
            {
                if (side is null) continue;
                side.Position = 0;
                side.CopyTo(_rows);
            }
            var table = MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_table));
            _rows.Write(table);
            _rows.Write(BitConverter.GetBytes(PackedHeader.Checksum(headerBytes, table)));
            _rows.Position = 0;
            _rows.Write(headerBytes);
            _rows.Flush(flushToDisk: true);
            _rows.Dispose();
            File.Move(_temp, _target, overwrite: true);
        }
        finally
        {
            _done = true;
            Cleanup();
        }
        return header with { HeaderBytes = headerBytes.Length };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _done = true;
        Cleanup();
    }

    private void Cleanup()
    {
        _rows?.Dispose();
        _labels?.Dispose();
        _weights?.Dispose();
        foreach (var f in new[] { _temp, _labelsTemp, _weightsTemp })
            if (f is not null) AtomicFile.TryDelete(f);
    }

    private static FileStream Create(string path) => new(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
}

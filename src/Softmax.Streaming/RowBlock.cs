using System.Runtime.InteropServices;
using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Streaming;

/// <summary>
/// One resident block of rows: a <see cref="Dataset"/> over reusable buffers, and the CPU engine over it.
/// Only the first <see cref="Count"/> rows are current; compute over <c>RowSet.Range(0, Count)</c>.
/// </summary>
public sealed class RowBlock
{
    private readonly PackedDataset _file;
    private readonly Preprocessor _preprocess;
    private readonly CpuEngineOptions _engine;
    private readonly bool _rebuildEngine;
    private readonly byte[]? _bytes;           // (capacity × D) uint8 rows, when the block stays uint8
    private readonly DenseMatrix? _dense;      // (capacity × S) float32 rows otherwise
    private readonly int[] _labels;
    private readonly float[]? _weights;
    private readonly float[] _row;
    private CpuSoftmaxLoss _loss;
    private Precision _arithmetic = Precision.Float32;

    /// <summary>The arithmetic of the block's engine (kept when the engine is rebuilt for a new block).</summary>
    internal Precision Arithmetic
    {
        get => _arithmetic;
        set { _arithmetic = value; _loss.TrySetArithmetic(value); }
    }

    internal RowBlock(PackedDataset file, int capacity, Preprocessor preprocess, CpuEngineOptions engine)
    {
        (_file, _preprocess, _engine) = (file, preprocess, engine);
        var h = file.Header;
        int D = h.Features;
        bool keepBytes = h.ElementType == PackedElementType.UInt8 && preprocess.Kind is PreprocessKind.None or PreprocessKind.Scale;
        FeatureMatrix features;
        if (keepBytes)
        {
            _bytes = new byte[(long)capacity * D];
            features = new ByteMatrix(_bytes, capacity, D, h.Scale * (preprocess.Kind == PreprocessKind.Scale ? preprocess.Scale : 1f));
        }
        else features = _dense = new DenseMatrix(capacity, D);
        _labels = new int[capacity];
        _weights = h.HasSampleWeights ? new float[capacity] : null;
        _row = new float[D];
        Data = new Dataset(features, _labels, h.ClassNames, _weights, h.Image, h.Name);
        // The engine copies per-row weights when it is built: with sample or class weights it is rebuilt per block.
        _rebuildEngine = _weights is not null || engine.ClassWeights is not null;
        _loss = new CpuSoftmaxLoss(Data, engine);
    }

    /// <summary>Current rows.</summary>
    public int Count { get; private set; }

    /// <summary>File row of the block's first row.</summary>
    public int Start { get; private set; }

    /// <summary>Index of the block in its stream.</summary>
    public int Index { get; private set; }

    /// <summary>The buffers as a dataset (only rows 0..<see cref="Count"/>−1 are current).</summary>
    public Dataset Data { get; }

    /// <summary>The CPU engine over <see cref="Data"/>.</summary>
    public CpuSoftmaxLoss Loss => _loss;

    /// <summary>Reads file rows start..start+count−1 into the buffers.</summary>
    internal void Fill(int index, int start, int count)
    {
        if (count > _labels.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _file.Read(start, count, (rows, labels, weights) =>
        {
            labels.CopyTo(_labels);
            weights.CopyTo(_weights);
            if (_bytes is not null) rows.CopyTo(_bytes);
            else Decode(rows, count);
        });
        (Index, Start, Count) = (index, start, count);
        if (_rebuildEngine)
        {
            _loss = new CpuSoftmaxLoss(Data, _engine);
            _loss.TrySetArithmetic(_arithmetic);
        }
    }

    private void Decode(ReadOnlySpan<byte> rows, int count)
    {
        int D = _file.Features;
        float fileScale = _file.Header.Scale;
        bool identity = _preprocess.Kind == PreprocessKind.None;
        for (int i = 0; i < count; i++)
        {
            var dst = _dense!.Row(i);
            var target = identity ? dst : _row;
            if (_file.Header.ElementType == PackedElementType.Float32)
                MemoryMarshal.Cast<byte, float>(rows.Slice(i * D * sizeof(float), D * sizeof(float))).CopyTo(target);
            else
                for (int d = 0; d < D; d++) target[d] = rows[i * D + d] * fileScale;
            if (!identity) _preprocess.ApplyRow(_row, dst);
        }
    }
}

using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.Model;

namespace Softmax.MLNet;

/// <summary>Computes the added columns of one input row, once per row position.</summary>
internal sealed class RowScorer
{
    private readonly ScoringSchema _schema;
    private readonly SoftmaxModel _model;
    private readonly DataViewRow _input;
    private readonly ValueGetter<VBuffer<float>>? _features;
    private readonly float[] _row;
    private readonly float[] _probabilities;
    private VBuffer<float> _buffer;
    private uint _predicted;
    private long _scoredPosition = -1;

    public RowScorer(ScoringSchema schema, SoftmaxModel model, DataViewRow input)
    {
        _schema = schema;
        _model = model;
        _input = input;
        if (input.IsColumnActive(schema.Feature)) _features = input.GetGetter<VBuffer<float>>(schema.Feature);
        _row = new float[model.Features];
        _probabilities = new float[model.Classes];
    }

    public bool IsActive(DataViewSchema.Column column) =>
        _schema.IsAdded(column.Index) ? _features is not null : _input.IsColumnActive(_input.Schema[column.Index]);

    public ValueGetter<TValue> Getter<TValue>(DataViewSchema.Column column)
    {
        if (!_schema.IsAdded(column.Index)) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        if (_features is null) throw new InvalidOperationException($"Column '{column.Name}' is not active.");
        if (column.Index == _schema.ScoreIndex)
        {
            if (typeof(TValue) != typeof(VBuffer<float>)) throw new InvalidOperationException($"Column '{column.Name}' is VBuffer<Single>, not {typeof(TValue)}.");
            ValueGetter<VBuffer<float>> score = (ref VBuffer<float> dst) =>
            {
                Score();
                var editor = VBufferEditor.Create(ref dst, _probabilities.Length);
                _probabilities.CopyTo(editor.Values);
                dst = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)score;
        }
        if (typeof(TValue) != typeof(uint)) throw new InvalidOperationException($"Column '{column.Name}' is a UInt32 key, not {typeof(TValue)}.");
        ValueGetter<uint> predicted = (ref uint dst) => { Score(); dst = _predicted; };
        return (ValueGetter<TValue>)(Delegate)predicted;
    }

    private void Score()
    {
        if (_scoredPosition == _input.Position) return;
        _features!(ref _buffer);
        _buffer.CopyTo(_row);
        if (TensorPrimitives.IsFiniteAll<float>(_row))
        {
            _model.PredictProba(_row, _probabilities);
            _predicted = (uint)TensorPrimitives.IndexOfMax<float>(_probabilities) + 1;
        }
        else
        {
            // ML.NET's convention for a row it cannot score: NaN scores and the missing key.
            Array.Fill(_probabilities, float.NaN);
            _predicted = 0;
        }
        _scoredPosition = _input.Position;
    }
}

/// <summary>One input row with the added columns (for prediction engines).</summary>
internal sealed class ScoredRow(ScoringSchema schema, SoftmaxModel model, DataViewRow input) : DataViewRow
{
    private readonly RowScorer _scorer = new(schema, model, input);

    public override long Position => input.Position;
    public override long Batch => input.Batch;
    public override DataViewSchema Schema => schema.Output;
    public override bool IsColumnActive(DataViewSchema.Column column) => _scorer.IsActive(column);
    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _scorer.Getter<TValue>(column);
    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
}

/// <summary>A cursor over the input with the added columns.</summary>
internal sealed class ScoredCursor(ScoringSchema schema, SoftmaxModel model, DataViewRowCursor input) : DataViewRowCursor
{
    private readonly RowScorer _scorer = new(schema, model, input);

    public override long Position => input.Position;
    public override long Batch => input.Batch;
    public override DataViewSchema Schema => schema.Output;
    public override bool IsColumnActive(DataViewSchema.Column column) => _scorer.IsActive(column);
    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _scorer.Getter<TValue>(column);
    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
    public override bool MoveNext() => input.MoveNext();

    protected override void Dispose(bool disposing)
    {
        if (disposing) input.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The input view with the added columns; lazy, like every ML.NET transform.</summary>
internal sealed class ScoredDataView(ScoringSchema schema, SoftmaxModel model, IDataView input) : IDataView
{
    public bool CanShuffle => input.CanShuffle;
    public DataViewSchema Schema => schema.Output;
    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new ScoredCursor(schema, model, input.GetRowCursor(schema.Dependencies(columnsNeeded), rand));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}

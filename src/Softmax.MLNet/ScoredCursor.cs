using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.Model;

namespace Softmax.MLNet;

/// <summary>
/// The input with the added columns, computed once per row position: a cursor over the input view (which it owns), or
/// one input row for prediction engines (<paramref name="ownsInput"/> false: the engine's row stays the engine's).
/// </summary>
internal sealed class ScoredCursor(ScoringSchema schema, SoftmaxModel model, DataViewRow input, bool ownsInput) : DataViewRowCursor
{
    private readonly ValueGetter<VBuffer<float>>? _features =
        input.IsColumnActive(schema.Feature) ? input.GetGetter<VBuffer<float>>(schema.Feature) : null;
    private readonly float[] _row = new float[model.Features];
    private readonly float[] _probabilities = new float[model.Classes];
    private VBuffer<float> _buffer;
    private uint _predicted;
    private long _scoredPosition = -1;

    public override long Position => input.Position;
    public override long Batch => input.Batch;
    public override DataViewSchema Schema => schema.Output;
    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
    public override bool MoveNext() => ((DataViewRowCursor)input).MoveNext();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        schema.IsAdded(column.Index) ? _features is not null : input.IsColumnActive(input.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!schema.IsAdded(column.Index)) return input.GetGetter<TValue>(input.Schema[column.Index]);
        if (_features is null) throw new InvalidOperationException($"Column '{column.Name}' is not active.");
        if (column.Index == schema.ScoreIndex)
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
        if (_scoredPosition == input.Position) return;
        _features!(ref _buffer);
        _buffer.CopyTo(_row);
        if (TensorPrimitives.IsFiniteAll<float>(_row))
        {
            model.PredictProba(_row, _probabilities);
            _predicted = (uint)TensorPrimitives.IndexOfMax<float>(_probabilities) + 1;
        }
        else
        {
            // ML.NET's convention for a row it cannot score: NaN scores and the missing key.
            Array.Fill(_probabilities, float.NaN);
            _predicted = 0;
        }
        _scoredPosition = input.Position;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsInput) input.Dispose();
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
        new ScoredCursor(schema, model, input.GetRowCursor(schema.Dependencies(columnsNeeded), rand), ownsInput: true);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}

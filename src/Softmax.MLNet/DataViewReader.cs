using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.Data;

namespace Softmax.MLNet;

/// <summary>
/// Reads an ML.NET <see cref="IDataView"/> into the library's <see cref="Dataset"/>: a known-size float vector column
/// of features and a key-typed label column (key k ↦ class k − 1). Rows with a missing label (key 0), a NaN feature
/// or a non-positive weight are skipped, as ML.NET's trainers do.
/// </summary>
public static class DataViewReader
{
    /// <summary>The annotation kind ML.NET uses for the values behind a key type.</summary>
    public const string KeyValuesKind = "KeyValues";

    /// <summary>Reads the columns named in <paramref name="options"/>.</summary>
    public static Dataset Read(IDataView data, SoftmaxTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var features = FeatureColumn(data.Schema, options.FeatureColumnName, out int D);
        var label = LabelColumn(data.Schema, options.LabelColumnName, out int C);
        DataViewSchema.Column? weight = null;
        if (options.ExampleWeightColumnName is { } weightName)
        {
            weight = data.Schema.GetColumnOrNull(weightName)
                ?? throw new ArgumentException($"The weight column '{weightName}' is not in the data.", nameof(options));
            if (weight.Value.Type != NumberDataViewType.Single)
                throw new ArgumentException($"The weight column '{weightName}' must be Single, not {weight.Value.Type}.", nameof(options));
        }
        var classNames = ClassNames(label, C);

        var rows = new List<float[]>();
        var labels = new List<int>();
        var weights = weight is null ? null : new List<float>();
        var active = weight is null ? new[] { features, label } : new[] { features, label, weight.Value };
        using (var cursor = data.GetRowCursor(active))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
            var getLabel = cursor.GetGetter<uint>(label);
            var getWeight = weight is null ? null : cursor.GetGetter<float>(weight.Value);
            VBuffer<float> buffer = default;
            uint key = 0;
            float w = 1;
            while (cursor.MoveNext())
            {
                getLabel(ref key);
                if (key == 0 || key > C) continue;
                getWeight?.Invoke(ref w);
                if (!(w > 0) || !float.IsFinite(w)) continue;
                getFeatures(ref buffer);
                var row = new float[D];
                buffer.CopyTo(row);
                if (!TensorPrimitives.IsFiniteAll<float>(row)) continue;
                rows.Add(row);
                labels.Add((int)key - 1);
                weights?.Add(w);
            }
        }
        var matrix = new DenseMatrix(rows.Count, D);
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(matrix.Row(i));
        return new Dataset(matrix, labels.ToArray(), classNames, weights?.ToArray(), name: "IDataView");
    }

    /// <summary>The feature column, checked to be a known-size vector of Single; <paramref name="features"/> is its size.</summary>
    public static DataViewSchema.Column FeatureColumn(DataViewSchema schema, string name, out int features)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The feature column '{name}' is not in the data.", nameof(name));
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: > 0 } vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"The feature column '{name}' must be a known-size vector of Single, not {column.Type}.", nameof(name));
        features = vector.Size;
        return column;
    }

    /// <summary>The label column, checked to be a key type; <paramref name="classes"/> is its key count.</summary>
    public static DataViewSchema.Column LabelColumn(DataViewSchema schema, string name, out int classes)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The label column '{name}' is not in the data.", nameof(name));
        if (column.Type is not KeyDataViewType key || key.RawType != typeof(uint) || key.Count is 0 or > int.MaxValue)
            throw new ArgumentException($"The label column '{name}' must be a UInt32 key type with a known count (use MapValueToKey), not {column.Type}.", nameof(name));
        classes = (int)key.Count;
        return column;
    }

    /// <summary>The label's key values as text (class names); "1".."C" (the keys) when the column has none.</summary>
    public static string[] ClassNames(DataViewSchema.Column label, int classes)
    {
        var annotation = label.Annotations.Schema.GetColumnOrNull(KeyValuesKind);
        if (annotation is { Type: VectorDataViewType vector } && vector.Size == classes)
        {
            string[]? names = vector.ItemType.RawType switch
            {
                var t when t == typeof(ReadOnlyMemory<char>) => Values<ReadOnlyMemory<char>>(label, v => v.ToString()),
                var t when t == typeof(int) => Values<int>(label, v => v.ToString(CultureInfo.InvariantCulture)),
                var t when t == typeof(uint) => Values<uint>(label, v => v.ToString(CultureInfo.InvariantCulture)),
                var t when t == typeof(long) => Values<long>(label, v => v.ToString(CultureInfo.InvariantCulture)),
                var t when t == typeof(float) => Values<float>(label, v => v.ToString("R", CultureInfo.InvariantCulture)),
                var t when t == typeof(double) => Values<double>(label, v => v.ToString("R", CultureInfo.InvariantCulture)),
                var t when t == typeof(bool) => Values<bool>(label, v => v ? "true" : "false"),
                _ => null,
            };
            if (names is not null && names.Length == classes) return names;
        }
        return Enumerable.Range(1, classes).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    private static string[] Values<T>(DataViewSchema.Column label, Func<T, string> format)
    {
        VBuffer<T> values = default;
        label.GetKeyValues(ref values);
        return values.DenseValues().Select(format).ToArray();
    }
}

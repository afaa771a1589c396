using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.Data;

namespace Softmax.MLNet.Tests;

/// <summary>One digits row as ML.NET sees it: 64 pixel values and the class name.</summary>
public sealed class DigitRow
{
    [VectorType(64)] public float[] Features { get; set; } = [];
    public string Label { get; set; } = "";
}

/// <summary>The embedded digits (our stratified 80/20 split) as ML.NET data views.</summary>
public static class DigitsData
{
    public static DigitRow[] Rows(Dataset data)
    {
        var rows = new DigitRow[data.Rows];
        for (int i = 0; i < data.Rows; i++)
        {
            var x = new float[data.FeatureCount];
            data.Features.CopyRow(i, x);
            rows[i] = new DigitRow { Features = x, Label = data.ClassNames[data.Labels[i]] };
        }
        return rows;
    }

    public static (IDataView Train, IDataView Test) Load(MLContext ml)
    {
        var (train, test) = NamedDatasets.Load("digits");
        return (ml.Data.LoadFromEnumerable(Rows(train)), ml.Data.LoadFromEnumerable(Rows(test)));
    }
}

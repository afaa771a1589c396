using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Softmax.Data;

namespace Softmax.Onnx.Tests;

/// <summary>Runs an exported file in ONNX Runtime: probabilities (N × C, row-major) and labels as text.</summary>
internal sealed class OnnxRunner : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxRunner(string path)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(path, options);
    }

    public IReadOnlyDictionary<string, NodeMetadata> Outputs => _session.OutputMetadata;
    public IReadOnlyDictionary<string, NodeMetadata> Inputs => _session.InputMetadata;
    public IReadOnlyDictionary<string, string> Metadata => _session.ModelMetadata.CustomMetadataMap;

    public (float[] Probabilities, string[] Labels) Run(float[] rows, int n, int d)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(rows, [n, d]);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, ["input"], [input], ["probabilities", "label"]);
        var probabilities = results[0].GetTensorDataAsSpan<float>().ToArray();
        var label = results[1];
        string[] labels = label.GetTensorTypeAndShape().ElementDataType == TensorElementType.String
            ? label.GetStringTensorAsArray()
            : label.GetTensorDataAsSpan<long>().ToArray().Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (probabilities, labels);
    }

    /// <summary>Rows start..start+n−1 of a dataset as one row-major block.</summary>
    public static float[] Rows(Dataset data, int start, int n)
    {
        int d = data.FeatureCount;
        var x = new float[(long)n * d];
        for (int i = 0; i < n; i++) data.Features.CopyRow(start + i, x.AsSpan(i * d, d));
        return x;
    }

    public void Dispose() => _session.Dispose();
}

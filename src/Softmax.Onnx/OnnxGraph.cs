using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Softmax.Onnx;

/// <summary>Small constructors for the ONNX messages the exporter needs (tensors, nodes, typed values).</summary>
internal static class OnnxGraph
{
    public const int FloatType = (int)TensorProto.Types.DataType.Float;
    public const int Int64Type = (int)TensorProto.Types.DataType.Int64;
    public const int StringType = (int)TensorProto.Types.DataType.String;
    public const int DoubleType = (int)TensorProto.Types.DataType.Double;

    /// <summary>A float64 tensor initializer holding float32 values widened exactly.</summary>
    public static TensorProto DoubleTensor(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var wide = new double[values.Length];
        for (int i = 0; i < wide.Length; i++) wide[i] = values[i];
        return Raw(name, DoubleType, MemoryMarshal.AsBytes(wide.AsSpan()), dims);
    }

    /// <summary>A float tensor initializer of the given shape (an empty shape is a scalar).</summary>
    public static TensorProto FloatTensor(string name, ReadOnlySpan<float> values, params long[] dims) =>
        Raw(name, FloatType, MemoryMarshal.AsBytes(values), dims);

    /// <summary>An int64 tensor initializer of the given shape.</summary>
    public static TensorProto Int64Tensor(string name, ReadOnlySpan<long> values, params long[] dims) =>
        Raw(name, Int64Type, MemoryMarshal.AsBytes(values), dims);

    // raw_data is little-endian, exactly the bytes of the value array on every platform .NET runs on.
    private static TensorProto Raw(string name, int type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>A 1-D string tensor initializer (UTF-8).</summary>
    public static TensorProto StringTensor(string name, IReadOnlyList<string> values)
    {
        var t = new TensorProto { Name = name, DataType = StringType };
        t.Dims.Add(values.Count);
        foreach (var v in values) t.StringData.Add(ByteString.CopyFromUtf8(v));
        return t;
    }

    public static NodeProto Node(string opType, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A tensor value description; a string dimension is symbolic (dim_param), a number is fixed.</summary>
    public static ValueInfoProto Value(string name, int elemType, string doc, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d is string symbol) dim.DimParam = symbol;
            else dim.DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture);
            shape.Dim.Add(dim);
        }
        return new ValueInfoProto
        {
            Name = name,
            DocString = doc,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } },
        };
    }
}

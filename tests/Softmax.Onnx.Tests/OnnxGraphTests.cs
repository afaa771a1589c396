using Onnx;
using Softmax.Data;
using Softmax.Model;

namespace Softmax.Onnx.Tests;

/// <summary>The graph's declared contract: names, opset, IR version, symbolic batch, ops per preprocessing kind, atomic write.</summary>
public sealed class OnnxGraphTests
{
    private static SoftmaxModel Tiny(PreprocessKind kind, string[]? names = null)
    {
        names ??= ["0", "1", "2"];
        int C = names.Length, D = 4;
        var theta = Enumerable.Range(0, C * D + C).Select(i => (i % 7 - 3) * 0.25).ToArray();
        float[] mean = [1, 2, 3, 4], inv = [1, 0.5f, 0.25f, 0];
        var pre = new Preprocessor(kind, 0.5f, kind >= PreprocessKind.Center ? mean : null, kind == PreprocessKind.Standardize ? inv : null);
        return new SoftmaxModel(theta, names, D, pre);
    }

    [Theory]
    [InlineData(PreprocessKind.None, "Gemm,Softmax,ArgMax")]
    [InlineData(PreprocessKind.Scale, "Mul,Gemm,Softmax,ArgMax")]
    [InlineData(PreprocessKind.Center, "Mul,Sub,Gemm,Softmax,ArgMax")]
    [InlineData(PreprocessKind.Standardize, "Mul,Sub,Mul,Gemm,Softmax,ArgMax")]
    public void Preprocessing_becomes_ops(PreprocessKind kind, string ops)
    {
        var proto = OnnxExporter.Build(Tiny(kind), precision: OnnxScorePrecision.Float32);
        Assert.Equal(ops, string.Join(",", proto.Graph.Node.Select(n => n.OpType)));
        var wide = OnnxExporter.Build(Tiny(kind));
        string prefix = ops[..ops.IndexOf("Gemm", StringComparison.Ordinal)];
        Assert.Equal(prefix + "Cast,Gemm,Softmax,Cast,ArgMax", string.Join(",", wide.Graph.Node.Select(n => n.OpType)));
    }

    [Fact]
    public void Opset_ir_version_and_dynamic_batch_are_stated()
    {
        var proto = OnnxExporter.Build(Tiny(PreprocessKind.None), opset: 17);
        Assert.Equal(8, proto.IrVersion);
        var opset = Assert.Single(proto.OpsetImport);
        Assert.Equal("", opset.Domain);
        Assert.Equal(17, opset.Version);
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal("input", input.Name);
        Assert.Equal("N", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(4, input.Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Equal(["probabilities", "label"], proto.Graph.Output.Select(o => o.Name));
        Assert.Equal((int)TensorProto.Types.DataType.Int64, proto.Graph.Output[1].Type.TensorType.ElemType);
    }

    [Fact]
    public void String_class_names_use_a_gather_on_a_string_tensor()
    {
        var proto = OnnxExporter.Build(Tiny(PreprocessKind.None, ["cat", "dog", "emu"]), precision: OnnxScorePrecision.Float32);
        Assert.Equal("Gemm,Softmax,ArgMax,Gather", string.Join(",", proto.Graph.Node.Select(n => n.OpType)));
        Assert.Equal((int)TensorProto.Types.DataType.String, proto.Graph.Output[1].Type.TensorType.ElemType);
        var names = proto.Graph.Initializer.Single(t => t.Name == "class_names");
        Assert.Equal(["cat", "dog", "emu"], names.StringData.Select(s => s.ToStringUtf8()));
    }

    [Theory]
    [InlineData(12)]
    [InlineData(22)]
    public void Unsupported_opsets_are_refused(int opset) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExporter.Build(Tiny(PreprocessKind.None), opset));

    [Theory]
    [InlineData(13, OnnxScorePrecision.Float64)]
    [InlineData(13, OnnxScorePrecision.Float32)]
    [InlineData(17, OnnxScorePrecision.Float64)]
    [InlineData(17, OnnxScorePrecision.Float32)]
    [InlineData(21, OnnxScorePrecision.Float64)]
    public void Every_supported_opset_loads_in_onnx_runtime(int opset, OnnxScorePrecision precision)
    {
        using var dir = new TempDir();
        string path = dir["m.onnx"];
        var model = Tiny(PreprocessKind.Standardize, ["a", "b", "c"]);
        OnnxExporter.Export(model, path, opset, precision);
        using var ort = new OnnxRunner(path);
        float[] row = [1, 5, -2, 8];
        var (p, labels) = ort.Run(row, 1, 4);
        var ours = model.PredictProba(row);
        for (int c = 0; c < 3; c++) Assert.Equal(ours[c], p[c], 1e-6);
        Assert.Equal(model.PredictLabel(row), labels[0]);
        Assert.Equal("Standardize", ort.Metadata["softmax.preprocessing"]);
    }

    [Fact]
    public void Export_writes_atomically_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        string path = dir["m.onnx"];
        File.WriteAllText(path, "old");
        OnnxExporter.Export(Tiny(PreprocessKind.Scale), path);
        Assert.Equal(OnnxExporter.Serialize(Tiny(PreprocessKind.Scale)), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }
}

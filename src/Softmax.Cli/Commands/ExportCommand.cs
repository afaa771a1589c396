using System.CommandLine;
using Softmax.IO;
using Softmax.Onnx;

namespace Softmax.Cli.Commands;

/// <summary><c>softmax export</c>: a model as a standard ONNX graph (preprocessing, Gemm, Softmax, ArgMax).</summary>
public static class ExportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var model = new Option<string>("--model") { Description = "Model file", DefaultValueFactory = _ => "model.softmax" };
        var onnx = new Option<string>("--onnx") { Description = "ONNX file to write", Required = true };
        var opset = new Option<int>("--opset") { Description = "ONNX opset (13..21)", DefaultValueFactory = _ => 17 };
        var command = new Command("export", "Write a model as a standard ONNX graph, checked by ONNX Runtime in the tests") { model, onnx, opset };
        command.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            string output = parse.GetValue(onnx)!;
            OnnxExporter.Export(ModelFile.Load(parse.GetValue(model)!), output, parse.GetValue(opset));
            ui.Result($"wrote {output}");
            return 0;
        }));
        return command;
    }
}

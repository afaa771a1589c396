using System.CommandLine;

namespace Softmax.Cli.Commands;

/// <summary>
/// The outputs <c>softmax train</c> and <c>softmax tune</c> share, declared once: --model, --metrics-json and --plots.
/// Each command's descriptions say what it writes there.
/// </summary>
public abstract class OutputFlags(string model, string metrics, string plots)
{
    /// <summary>--model.</summary>
    public Option<string> Model { get; } = new("--model") { Description = model, DefaultValueFactory = _ => "model.softmax" };
    /// <summary>--metrics-json.</summary>
    public Option<string?> Metrics { get; } = new("--metrics-json") { Description = metrics };
    /// <summary>--plots.</summary>
    public Option<string?> Plots { get; } = new("--plots") { Description = plots };
}

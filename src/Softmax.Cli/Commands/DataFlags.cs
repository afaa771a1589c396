using System.CommandLine;
using Softmax.Cli.Infrastructure;

namespace Softmax.Cli.Commands;

/// <summary>
/// The rows a command reads, declared once: --data, --format and --label-column. Each command says in
/// <paramref name="data"/> and <paramref name="label"/> what it reads from them.
/// </summary>
public class DataFlags(string data, string label)
{
    /// <summary>--data.</summary>
    public Option<string> Data { get; } = new("--data") { Description = data, DefaultValueFactory = _ => "digits" };
    /// <summary>--format.</summary>
    public Option<string> Format { get; } = new Option<string>("--format") { Description = "Input format", DefaultValueFactory = _ => "auto" }.AcceptOnlyFromAmong(DataSource.FormatNames);
    /// <summary>--label-column.</summary>
    public Option<string?> Label { get; } = new("--label-column") { Description = label };

    /// <summary>The source --data names (a near miss of a dataset name is an error), read with --format and --label-column.</summary>
    public DataSource Source(ParseResult p)
    {
        DataSource.CheckSpec(p.GetValue(Data)!, "--data");
        return new DataSource(p.GetValue(Data)!, DataSource.ParseFormat(p.GetValue(Format)), p.GetValue(Label));
    }
}

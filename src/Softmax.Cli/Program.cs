using System.CommandLine;
using Softmax.Cli.Commands;
using Softmax.Cli.Infrastructure;

namespace Softmax.Cli;

/// <summary>Entry point of the <c>softmax</c> tool.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the command. Exit codes: 0 success, 1 failure, 2 usage or input error.</summary>
    public static int Main(string[] args)
    {
        var global = new GlobalFlags();
        // A Command named softmax, not a RootCommand, which takes the executable's name (Softmax.Cli under `dotnet
        // run`); it gets the help and version flags a root has.
        var root = new Command("softmax", "softmax: multinomial logistic regression (softmax) classifiers: train, evaluate, predict, tune, check gradients.")
        {
            new System.CommandLine.Help.HelpOption(), new VersionOption(), global.Quiet, global.Verbose,
            TrainCommand.Create(global), EvalCommand.Create(global), PredictCommand.Create(global), GradcheckCommand.Create(global),
            TuneCommand.Create(global), InfoCommand.Create(global), ReportCommand.Create(global), DataCommand.Create(global),
            ExportCommand.Create(global), ServeCommand.Create(global),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var line in ParseErrors.Lines(parse)) Console.Error.WriteLine($"softmax: error: {Output.TerminalText.Safe(line)}");
            Console.Error.WriteLine("Run 'softmax --help' (or 'softmax COMMAND --help') for usage.");
            return GlobalFlags.UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}

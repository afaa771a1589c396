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
        var root = Root("softmax: multinomial logistic regression (softmax) classifiers: train, evaluate, predict, tune, check gradients.");
        root.Add(global.Quiet);
        root.Add(global.Verbose);
        root.Add(TrainCommand.Create(global));
        root.Add(EvalCommand.Create(global));
        root.Add(PredictCommand.Create(global));
        root.Add(GradcheckCommand.Create(global));
        root.Add(TuneCommand.Create(global));
        root.Add(InfoCommand.Create(global));
        root.Add(ReportCommand.Create(global));
        root.Add(DataCommand.Create(global));
        root.Add(ExportCommand.Create(global));
        root.Add(ServeCommand.Create(global));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var line in ParseErrors.Lines(parse)) Console.Error.WriteLine($"softmax: error: {Output.TerminalText.Safe(line)}");
            Console.Error.WriteLine("Run 'softmax --help' (or 'softmax COMMAND --help') for usage.");
            return GlobalFlags.UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    /// <summary>
    /// The root command, named <c>softmax</c> whatever the host process is called (a <see cref="RootCommand"/> takes
    /// the executable's name, <c>Softmax.Cli</c> under <c>dotnet run</c>), with the help and version flags a root has.
    /// </summary>
    private static Command Root(string description)
    {
        var root = new Command("softmax", description);
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }
}

using System.CommandLine;
using Softmax.Cli.Commands;

namespace Softmax.Cli;

/// <summary>Entry point of the <c>softmax</c> tool.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the command. Exit codes: 0 success, 1 failure, 2 usage or input error.</summary>
    public static int Main(string[] args)
    {
        var global = new GlobalFlags();
        var root = new RootCommand("softmax: multinomial logistic regression (softmax) classifiers: train, evaluate, predict, tune, check gradients.");
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
            foreach (var error in parse.Errors) Console.Error.WriteLine($"softmax: error: {Output.TerminalText.Safe(error.Message)}");
            Console.Error.WriteLine("Run 'softmax --help' (or 'softmax COMMAND --help') for usage.");
            return GlobalFlags.UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}

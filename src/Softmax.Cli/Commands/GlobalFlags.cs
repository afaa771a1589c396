using System.CommandLine;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.IO;

namespace Softmax.Cli.Commands;

/// <summary>Flags every command takes, and the one place errors become exit codes.</summary>
public sealed class GlobalFlags
{
    /// <summary>--quiet.</summary>
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Plain, minimal output: no progress, just results", Recursive = true };
    /// <summary>--verbose.</summary>
    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Show stack traces on errors", Recursive = true };

    /// <summary>Exit code for usage and input errors.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// Exit code of a run that diverged: the loss became non-finite, ended above ln C (the uniform guess) or rose over
    /// training. The model and metrics are still written (to look at), with a warning on stderr.
    /// </summary>
    public const int DivergedExit = 3;

    /// <summary>
    /// Prints the divergence warning for <paramref name="result"/> and returns <see cref="DivergedExit"/>, or returns 0
    /// for a healthy run.
    /// </summary>
    public static int Health(Softmax.Model.TrainingResult result)
    {
        if (Softmax.Model.TrainingHealth.Diverged(result) is not { } why) return 0;
        Console.Error.WriteLine($"softmax: warning: training diverged: {why}. Try a smaller --lr (or L-BFGS, or scaled features); exit status {DivergedExit}.");
        return DivergedExit;
    }

    /// <summary>
    /// Runs a command body with Ctrl+C turned into cancellation. Errors print one line to stderr (with the stack
    /// trace under --verbose); usage and input errors exit 2, other failures 1.
    /// </summary>
    public int Run(ParseResult parse, Func<Ui, CancellationToken, int> body)
    {
        var ui = new Ui(parse.GetValue(Quiet), parse.GetValue(Verbose));
        using var cancellation = new Cancellation();
        try
        {
            return body(ui, cancellation.Token);
        }
        catch (Exception e)
        {
            int code = IsUsage(e) ? UsageError : e is Softmax.Optimization.TrainingDivergedException ? DivergedExit : 1;
            string bug = code == 1 && e is not (OutOfMemoryException or OperationCanceledException)
                ? " (an internal error, a bug in softmax: please report it with the output of --verbose)" : "";
            Console.Error.WriteLine($"softmax: error: {TerminalText.Safe(OneLine(e))}{bug}");
            if (ui.Verbose) Console.Error.WriteLine(TerminalText.Safe(e.ToString(), keepNewlines: true));
            return code;
        }
    }

    /// <summary>
    /// True for errors the user can fix by changing the input, the flags or the environment (a file that cannot be
    /// read or written: IOException and UnauthorizedAccessException name the path).
    /// </summary>
    public static bool IsUsage(Exception e) => e is UsageException or DataFormatException or ModelFormatException
        or ArgumentException or FileNotFoundException or DirectoryNotFoundException or FormatException
        or Softmax.Streaming.PackedFormatException or IOException or UnauthorizedAccessException;

    private static string OneLine(Exception e)
    {
        string message = e switch
        {
            ArgumentException a when a.ParamName is not null => a.Message.Replace($" (Parameter '{a.ParamName}')", "", StringComparison.Ordinal),
            OutOfMemoryException => $"out of memory: this process may use {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1048576} MiB, "
                + "too little for these rows. For training, --stream reads row blocks from a packed cache instead of loading "
                + "them (it starts by itself when the decoded rows exceed --memory-limit, which is set too high here).",
            _ => e.Message,
        };
        return string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}

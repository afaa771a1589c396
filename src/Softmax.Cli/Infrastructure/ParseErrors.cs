using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// System.CommandLine's parse errors as one human line each: unknown commands and flags get "did you mean", enum
/// values name the accepted ones, a value that is not a number says so (not <c>System.Nullable`1[System.Double]</c>).
/// </summary>
public static partial class ParseErrors
{
    /// <summary>The lines to print for <paramref name="parse"/>'s errors, in order, without repeats.</summary>
    public static List<string> Lines(ParseResult parse)
    {
        var lines = new List<string>();
        string? previousUnknownFlag = null;
        foreach (var error in parse.Errors)
            if (Line(parse, error, ref previousUnknownFlag) is { } line && !lines.Contains(line)) lines.Add(line);
        // "Required command was not provided" only helps when nothing more specific was said.
        if (lines.Count > 1) lines.RemoveAll(l => l.StartsWith("no command given", StringComparison.Ordinal));
        return lines;
    }

    private static string? Line(ParseResult parse, ParseError error, ref string? previousUnknownFlag)
    {
        string message = error.Message;
        var unknown = UnrecognizedPattern().Match(message);
        if (unknown.Success)
        {
            string token = unknown.Groups[1].Value;
            var command = parse.CommandResult.Command;
            if (token.StartsWith('-'))
            {
                previousUnknownFlag = token;
                return $"unknown flag '{token}' for '{Path(command)}'.{Suggest.Hint(token, OptionNames(command))}";
            }
            if (previousUnknownFlag is not null) { previousUnknownFlag = null; return null; }   // the value of an unknown flag
            if (command.Subcommands.Count > 0)
                return $"unknown command '{token}'.{Suggest.Hint(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))} Commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}.";
            return $"unexpected argument '{token}' for '{Path(command)}' (its settings are flags: --name value).";
        }
        previousUnknownFlag = null;
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            return $"no command given. Commands: {string.Join(", ", parse.CommandResult.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}.";
        string flag = OptionOf(error.SymbolResult)?.Name ?? "";
        var among = NotAmongPattern().Match(message);
        if (among.Success)
        {
            string value = among.Groups[1].Value;
            var allowed = QuotedPattern().Matches(message[among.Length..]).Select(m => m.Groups[1].Value).ToList();
            return $"{flag}: '{value}' is not one of {string.Join(", ", allowed)}.{Suggest.Hint(value, allowed)}";
        }
        var cannot = CannotParsePattern().Match(message);
        if (cannot.Success)
        {
            var type = OptionOf(error.SymbolResult)?.ValueType ?? (error.SymbolResult as ArgumentResult)?.Argument.ValueType ?? typeof(string);
            type = Nullable.GetUnderlyingType(type) ?? type;
            string what = type == typeof(double) || type == typeof(float) ? "a number (like 0.01 or 1e-3)"
                : type == typeof(int) || type == typeof(long) ? "a whole number" : type == typeof(bool) ? "true or false" : type.Name;
            string list = cannot.Groups[1].Value.Contains(',', StringComparison.Ordinal) ? " (one value per flag; `tune` takes lists with --lr-grid, --l2-grid, ...)" : "";
            return $"{cannot.Groups[2].Value}: '{cannot.Groups[1].Value}' is not {what}{list}.";
        }
        string oneLine = string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return flag.Length > 0 && !oneLine.Contains(flag, StringComparison.Ordinal) ? $"{flag}: {oneLine}" : oneLine;
    }

    private static Option? OptionOf(SymbolResult? result)
    {
        for (var r = result; r is not null; r = r.Parent)
            if (r is OptionResult o) return o.Option;
        return null;
    }

    private static string Path(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault()) names.Insert(0, c.Name);
        return string.Join(' ', names);
    }

    /// <summary>Every flag <paramref name="command"/> takes, with aliases and the recursive ones of its parents.</summary>
    public static IEnumerable<string> OptionNames(Command command)
    {
        foreach (var o in command.Options.Where(o => !o.Hidden))
        {
            yield return o.Name;
            foreach (var a in o.Aliases) yield return a;
        }
        for (Symbol? s = command.Parents.FirstOrDefault(); s is Command c; s = c.Parents.FirstOrDefault())
            foreach (var o in c.Options.Where(o => o.Recursive && !o.Hidden)) yield return o.Name;
    }

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.?$")]
    private static partial Regex UnrecognizedPattern();

    [GeneratedRegex(@"^Argument '(.*?)' not recognized\. Must be one of:")]
    private static partial Regex NotAmongPattern();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex QuotedPattern();

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for option '(.*?)' as expected type")]
    private static partial Regex CannotParsePattern();
}

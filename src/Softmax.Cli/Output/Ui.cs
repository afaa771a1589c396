using System.Globalization;
using Spectre.Console;

namespace Softmax.Cli.Output;

/// <summary>
/// What a person sees. On a terminal: Spectre tables and progress bars with ETA. When stdout is redirected, or with
/// --quiet: plain lines (key: value), easy for scripts to read. Errors always go to stderr. Every string shown passes
/// through <see cref="TerminalText.Safe"/>: names from data files cannot drive the terminal.
/// </summary>
public sealed class Ui
{
    /// <summary>Creates the view for this process.</summary>
    public Ui(bool quiet, bool verbose)
    {
        Quiet = quiet;
        Verbose = verbose;
        Interactive = !quiet && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    }

    /// <summary>Progress lines are suppressed.</summary>
    public bool Quiet { get; }

    /// <summary>Stack traces on errors.</summary>
    public bool Verbose { get; }

    /// <summary>Rich output (stdout is a terminal and not quiet).</summary>
    public bool Interactive { get; }

    /// <summary>Invariant formatting, used for every number shown.</summary>
    public static string F(double value, string format = "G6") =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Invariant formatting of a whole number.</summary>
    public static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A progress note: a line unless quiet.</summary>
    public void Note(string text)
    {
        if (!Quiet) Line(text, grey: true);
    }

    /// <summary>A result line, shown even when quiet.</summary>
    public void Result(string text) => Line(text, grey: false);

    private void Line(string text, bool grey)
    {
        text = TerminalText.Safe(text);
        if (Interactive) AnsiConsole.MarkupLine(grey ? $"[grey]{Markup.Escape(text)}[/]" : Markup.Escape(text));
        else Console.Out.WriteLine(text);
    }

    /// <summary>A titled key/value summary: a table on a terminal, "key: value" lines otherwise.</summary>
    public void Summary(string title, IEnumerable<(string Key, string Value)> rows)
    {
        if (Interactive) Table(title, ["what", "value"], rows.Select(r => (IReadOnlyList<string>)[r.Key, r.Value]));
        else foreach (var (k, v) in rows) Console.Out.WriteLine($"{TerminalText.Safe(k)}: {TerminalText.Safe(v)}");
    }

    /// <summary>A table with a header row: Spectre on a terminal, tab-separated lines otherwise.</summary>
    public void Table(string title, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, bool numericColumns = true)
    {
        header = header.Select(h => TerminalText.Safe(h)).ToArray();
        rows = rows.Select(r => (IReadOnlyList<string>)r.Select(v => TerminalText.Safe(v)).ToArray()).ToArray();
        if (Interactive)
        {
            var table = new Table { Title = new TableTitle(title) }.RoundedBorder();
            for (int i = 0; i < header.Count; i++)
            {
                var column = new TableColumn(Markup.Escape(header[i]));
                if (numericColumns && i > 0) column.RightAligned();
                table.AddColumn(column);
            }
            foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            AnsiConsole.Write(table);
            return;
        }
        Console.Out.WriteLine($"# {title}");
        Console.Out.WriteLine(string.Join('\t', header));
        foreach (var row in rows) Console.Out.WriteLine(string.Join('\t', row));
    }

    /// <summary>Runs <paramref name="work"/> with one progress bar (ETA on a terminal; throttled lines otherwise).</summary>
    public T WithProgress<T>(string title, Func<ProgressBar, T> work)
    {
        if (!Interactive) return work(new ProgressBar(this, null, title));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                result = work(new ProgressBar(this, task, title));
                if (!task.IsFinished) task.Value = task.MaxValue;
            });
        return result;
    }
}

/// <summary>One progress bar: a Spectre task on a terminal, or throttled plain lines.</summary>
public sealed class ProgressBar
{
    private readonly Ui _ui;
    private readonly ProgressTask? _task;
    private readonly string _title;
    private DateTime _lastLine = DateTime.MinValue;

    internal ProgressBar(Ui ui, ProgressTask? task, string title)
    {
        _ui = ui;
        _task = task;
        _title = TerminalText.Safe(title);
    }

    /// <summary>Moves the bar to <paramref name="done"/> of <paramref name="total"/> (total ≤ 0: unknown) and shows <paramref name="status"/>.</summary>
    public void Update(double done, double total, string status, bool force = false)
    {
        status = TerminalText.Safe(status);
        if (_task is not null)
        {
            if (total > 0) { _task.MaxValue = total; _task.Value = Math.Min(done, total); }
            else _task.IsIndeterminate = true;
            _task.Description = Markup.Escape($"{_title} {status}");
            return;
        }
        if (_ui.Quiet) return;
        var now = DateTime.UtcNow;
        if (!force && (now - _lastLine).TotalSeconds < 1) return;
        _lastLine = now;
        string of = total > 0 ? $"{done:0}/{total:0}" : $"{done:0}";
        Console.Out.WriteLine($"{_title} {of} {status}");
    }
}

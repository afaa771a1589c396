using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Softmax.TestSupport;

/// <summary>The outcome of a child process: exit code, its two streams (and both interleaved as they came), wall time.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, string Output, TimeSpan Elapsed)
{
    /// <summary>The stdout lines that are JSON objects, parsed.</summary>
    public IReadOnlyList<JsonElement> JsonLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs a child process with a time limit, so no test can hang the run.</summary>
public static class ChildProcess
{
    /// <summary>How to start and watch one process; only the file is required.</summary>
    public sealed record Start(string File, IEnumerable<string> Arguments)
    {
        /// <summary>Working directory (default: the current one).</summary>
        public string? WorkingDirectory { get; init; }
        /// <summary>Extra environment variables.</summary>
        public IReadOnlyDictionary<string, string>? Environment { get; init; }
        /// <summary>Text written to stdin, which is then closed (null: stdin is closed at once).</summary>
        public string? Stdin { get; init; }
        /// <summary>Wall-clock limit; the process tree is killed past it and a <see cref="TimeoutException"/> thrown.</summary>
        public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
        /// <summary>Sees each stdout line as it arrives (on a reader thread).</summary>
        public Action<string>? OnStdoutLine { get; init; }
        /// <summary>Acts on the started process (kill one rank, wait for a file) before it is awaited.</summary>
        public Action<Process>? WhileRunning { get; init; }
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> to completion.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        Run(new Start(file, arguments) { Timeout = timeout ?? TimeSpan.FromMinutes(2), Environment = environment, WorkingDirectory = workingDirectory });

    /// <summary>Runs <paramref name="start"/> to completion.</summary>
    public static ProcessResult Run(Start start)
    {
        var info = new ProcessStartInfo(start.File)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = start.WorkingDirectory ?? "",
        };
        foreach (var a in start.Arguments) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (start.Environment is not null) foreach (var (k, v) in start.Environment) info.Environment[k] = v;
        StringBuilder stdout = new(), stderr = new(), output = new();
        var clock = Stopwatch.StartNew();
        using var p = new Process { StartInfo = info };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) { stdout.AppendLine(e.Data); output.AppendLine(e.Data); }
            start.OnStdoutLine?.Invoke(e.Data);
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) { stderr.AppendLine(e.Data); output.AppendLine(e.Data); } };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (start.Stdin is not null) p.StandardInput.Write(start.Stdin);
        p.StandardInput.Close();
        start.WhileRunning?.Invoke(p);
        if (!p.WaitForExit(start.Timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            lock (output)
                throw new TimeoutException($"{start.File} {string.Join(' ', info.ArgumentList)} ran past {start.Timeout.TotalSeconds} s:\n{output}");
        }
        p.WaitForExit();   // the stream readers have seen the end
        lock (output) return new ProcessResult(p.ExitCode, stdout.ToString(), stderr.ToString(), output.ToString(), clock.Elapsed);
    }
}

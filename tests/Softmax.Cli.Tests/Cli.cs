using System.Diagnostics;
using System.Text;

namespace Softmax.Cli.Tests;

/// <summary>The outcome of one run of the real CLI.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Starts the CLI as a child process (<c>dotnet Softmax.Cli.dll ...</c>) in a working directory.</summary>
public static class Cli
{
    /// <summary>The CLI assembly, copied next to the tests by the project reference.</summary>
    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "Softmax.Cli.dll");

    /// <summary>A process ready to start; stdout and stderr redirected.</summary>
    public static Process Prepare(string workDir, params string[] args) => Prepare(workDir, null, args);

    /// <summary>A process ready to start, with extra environment variables.</summary>
    public static Process Prepare(string workDir, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (env is not null) foreach (var (k, v) in env) info.Environment[k] = v;
        return new Process { StartInfo = info };
    }

    /// <summary>Runs to completion (or fails the test after <paramref name="timeoutSeconds"/>).</summary>
    public static CliResult Run(string workDir, string[] args, string? stdin = null, int timeoutSeconds = 180,
        IReadOnlyDictionary<string, string>? env = null)
    {
        using var p = Prepare(workDir, env, args);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"softmax {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        p.WaitForExit();
        return new CliResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs and asserts exit code 0.</summary>
    public static CliResult Ok(string workDir, params string[] args) => Ok(workDir, null, args);

    /// <summary>Runs with extra environment variables and asserts exit code 0.</summary>
    public static CliResult Ok(string workDir, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var r = Run(workDir, args, env: env);
        Assert.True(r.ExitCode == 0, $"softmax {string.Join(' ', args)}\n{r}");
        return r;
    }
}

/// <summary>A fresh temporary directory, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "softmax-cli-" + Guid.NewGuid().ToString("N")[..12]);
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

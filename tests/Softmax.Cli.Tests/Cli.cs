using System.Diagnostics;

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
    public static string Dll => SoftmaxCli.Dll;

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
        try
        {
            var r = ChildProcess.Run(new ChildProcess.Start("dotnet", [Dll, .. args])
            {
                WorkingDirectory = workDir, Environment = env, Stdin = stdin, Timeout = TimeSpan.FromSeconds(timeoutSeconds),
            });
            return new CliResult(r.ExitCode, r.Stdout, r.Stderr);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"softmax {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
            throw;
        }
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

using System.Diagnostics;

namespace Softmax.Packaging.Tests;

/// <summary>Paths in the repository and child processes that cannot hang the test run.</summary>
public static class Repo
{
    public const string Configuration = RepoPaths.Configuration;

    public static string Root => RepoPaths.Root;

    public static string Path(params string[] parts) => RepoPaths.Path(parts);

    /// <summary>The output of a project built with the tests (see the project references).</summary>
    public static string Output(string projectDirectory, string assembly) => RepoPaths.Output(projectDirectory, assembly);

    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed)
    {
        public Result ShouldSucceed(string what)
        {
            Assert.True(ExitCode == 0, $"{what} exited with {ExitCode}:\n{Output}");
            return this;
        }
    }

    /// <summary>Runs a command with a time limit; stdout and stderr together. Build servers are off so no child keeps the pipes open.</summary>
    public static Result Run(string file, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(QuietEnvironment);
        if (environment is not null) foreach (var (k, v) in environment) env[k] = v;
        var r = ChildProcess.Run(new ChildProcess.Start(file, arguments) { WorkingDirectory = workingDirectory, Timeout = timeout, Environment = env });
        return new Result(r.ExitCode, r.Output, r.Elapsed);
    }

    /// <summary>Environment for child dotnet processes: no logo, no telemetry, no build servers that outlive the call.</summary>
    public static void Quiet(ProcessStartInfo info)
    {
        foreach (var (k, v) in QuietEnvironment) info.Environment[k] = v;
    }

    private static readonly Dictionary<string, string> QuietEnvironment = new()
    {
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["UseSharedCompilation"] = "false",
    };
}

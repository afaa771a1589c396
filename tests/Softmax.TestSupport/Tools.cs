namespace Softmax.TestSupport;

/// <summary>Programs on PATH, and what a test does when one it needs is missing.</summary>
public static class Tools
{
    /// <summary>The full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => System.IO.Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>True under CI (<c>CI=true</c>), where .ci/run installs every tool and data set the tests use.</summary>
    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}

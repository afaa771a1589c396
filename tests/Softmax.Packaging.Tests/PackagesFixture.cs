using System.Globalization;

namespace Softmax.Packaging.Tests;

/// <summary>
/// Packs the library and the CLI once per test class (from the outputs built with the tests, so nothing compiles
/// here) into a temporary feed, under a version no earlier run used, so no NuGet cache can hand back a stale package.
/// </summary>
public sealed class PackagesFixture : IDisposable
{
    public PackagesFixture()
    {
        Root = _temp.Path;
        Feed = Path.Combine(Root, "feed");
        Version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        foreach (var project in new[] { "src/Softmax/Softmax.csproj", "src/Softmax.Gpu/Softmax.Gpu.csproj", "src/Softmax.Cli/Softmax.Cli.csproj" })
            PackTime += Repo.Run("dotnet", ["pack", Repo.Path(project), "-c", Repo.Configuration, "--no-build", "-o", Feed, $"-p:Version={Version}"],
                Repo.Root, TimeSpan.FromMinutes(3)).ShouldSucceed($"dotnet pack {project}").Elapsed;
    }

    private readonly TempDir _temp = new("packaging");

    public string Root { get; }
    public string Feed { get; }
    public string Version { get; }
    public TimeSpan PackTime { get; }

    public void Dispose()
    {
        _temp.Dispose();
        // The consumer project's restore put this one-off version into the global packages folder.
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "softmax", "softmax.gpu", "softmax.cli" })
        {
            string dir = Path.Combine(packages, id, Version);
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

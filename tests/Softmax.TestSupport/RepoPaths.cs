namespace Softmax.TestSupport;

/// <summary>Paths in the repository, found from the test assembly's location (the folder holding Softmax.slnx).</summary>
public static class RepoPaths
{
    /// <summary>The build configuration the tests were built in.</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>The repository root.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path below the root.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>The output of a project built with the tests (see the project references).</summary>
    public static string Output(string projectDirectory, string assembly) =>
        Path(projectDirectory, "bin", Configuration, "net10.0", assembly);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Softmax.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No Softmax.slnx above {AppContext.BaseDirectory}.");
    }
}

namespace Softmax.TestSupport;

/// <summary>A fresh directory under the system temp folder, deleted (with its contents) on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates <c>softmax-PREFIX-RANDOM</c> under the temp folder.</summary>
    public TempDir(string prefix = "test") => Path = Directory.CreateTempSubdirectory($"softmax-{prefix}-").FullName;

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>A path inside the directory (as the indexer).</summary>
    public string File(string name) => this[name];

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="name"/> inside the directory and returns its path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string path = this[name];
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes UTF-8 text (no BOM) to <paramref name="name"/> inside the directory and returns its path.</summary>
    public string WriteText(string name, string text) => Write(name, new System.Text.UTF8Encoding(false).GetBytes(text));

    /// <summary>Deletes the directory; a file still held open elsewhere is not a test failure.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

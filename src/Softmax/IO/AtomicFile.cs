namespace Softmax.IO;

/// <summary>
/// Writes a file under a temporary name beside the target and renames it into place, so the target name never
/// holds a half-written file (a crash leaves at most a stray temporary, never a truncated result). The one atomic
/// writer: models, ONNX files, ML.NET pipelines, metrics, plots, reports and predictions all go through it.
/// </summary>
public static class AtomicFile
{
    /// <summary>Runs <paramref name="write"/> on a temporary path with the same extension, then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write, bool createDirectory = true)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (createDirectory) Directory.CreateDirectory(dir);
        // Keep the extension: some writers (image encoders) choose the format from it.
        string temp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp{Path.GetExtension(full)}");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes through a stream, flushed to disk before the rename.</summary>
    public static void WriteStream(string path, Action<Stream> write, bool createDirectory = true) => Write(path, temp =>
    {
        using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        write(stream);
        stream.Flush(flushToDisk: true);
    }, createDirectory);

    /// <summary>Writes text (UTF-8, no BOM).</summary>
    public static void WriteText(string path, string text) => WriteStream(path, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));

    /// <summary>
    /// Fails now, before any training, when <see cref="Write"/> could not put a file at <paramref name="path"/>: the path
    /// is a directory, or its folder cannot be created or written (an <see cref="IOException"/> naming <paramref name="what"/>, the flag).
    /// </summary>
    public static void CheckWritable(string path, string what)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{what} {path} is a directory; give a file name.");
        string dir = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.probe");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{what} {path} cannot be written: {e.Message}", e);
        }
    }

    /// <summary>Deletes a file, ignoring failure (cleanup only).</summary>
    public static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

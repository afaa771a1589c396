namespace Softmax.Data;

/// <summary>
/// A data file does not hold what its format promises. The message names the file, the record or line,
/// what was expected and what was found.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="path"/>; <paramref name="record"/> is a 1-based line or record number when known.</summary>
    public DataFormatException(string path, long? record, string detail, Exception? inner = null)
        : base(record is { } r ? $"{path}, record/line {r}: {detail}" : $"{path}: {detail}", inner) =>
        (Path, Record, Detail) = (path, record, detail);

    /// <summary>The file (or resource) being read.</summary>
    public string Path { get; }

    /// <summary>1-based line (text formats) or record (binary formats) number, when the error belongs to one.</summary>
    public long? Record { get; }

    /// <summary>What was expected and what was found, without the location.</summary>
    public string Detail { get; }
}

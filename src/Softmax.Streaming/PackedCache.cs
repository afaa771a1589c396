namespace Softmax.Streaming;

/// <summary>
/// The packed cache beside a source file (<c>data.csv</c> → <c>data.csv.smxp</c>): any format
/// <see cref="Softmax.Data.DataLoader"/> reads, parsed once and packed, then opened directly while it is newer than
/// the source.
/// </summary>
public static class PackedCache
{
    /// <summary>The cache path for <paramref name="source"/>.</summary>
    public static string PathFor(string source) => Path.GetFullPath(source) + ".smxp";
}

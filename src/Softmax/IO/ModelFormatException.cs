namespace Softmax.IO;

/// <summary>A model file that cannot be read: the message names the file and what is wrong with it.</summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/>.</summary>
    public ModelFormatException(string file, string problem, Exception? inner = null)
        : base($"{file}: {problem}", inner) => (File, Problem) = (file, problem);

    /// <summary>The file (or stream name) that was being read.</summary>
    public string File { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}

namespace Softmax.Serving;

/// <summary>A request the client got wrong: answered with <see cref="StatusCode"/> and a JSON error naming the problem.</summary>
public sealed class InputException(string message, int statusCode = 400, string reason = "bad_input") : Exception(message)
{
    /// <summary>The HTTP status (400, 413, 415).</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>A short machine-readable cause, also the metrics label.</summary>
    public string Reason { get; } = reason;
}

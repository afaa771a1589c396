using Softmax.Model;

namespace Softmax.Serving;

/// <summary>Settings of <c>softmax serve</c>. Immutable; checked once by <see cref="Validate"/>.</summary>
public sealed record ServeOptions
{
    /// <summary>The environment variable read for the admin token when none is given on the command line.</summary>
    public const string AdminTokenVariable = "SOFTMAX_ADMIN_TOKEN";

    /// <summary>The model file served (and reloaded by an empty admin POST or the file watcher).</summary>
    public string? ModelPath { get; init; }

    /// <summary>A model already in memory (tests, embedding); <see cref="ModelPath"/> is then optional.</summary>
    public SoftmaxModel? Model { get; init; }

    /// <summary>Addresses to listen on. The default binds loopback only; port 0 picks a free port.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5000"];

    /// <summary>Enables <c>POST /v1/model</c>; null or empty leaves hot reload over HTTP off.</summary>
    public string? AdminToken { get; init; }

    /// <summary>Largest request body accepted by <c>/v1/predict</c>, in bytes (413 beyond).</summary>
    public long MaxBodyBytes { get; init; } = 4 << 20;

    /// <summary>Largest model file accepted by <c>POST /v1/model</c>, in bytes.</summary>
    public long MaxModelBytes { get; init; } = 256L << 20;

    /// <summary>Most rows in one prediction request (413 beyond).</summary>
    public int MaxRows { get; init; } = 10_000;

    /// <summary>How many classes <c>top_k</c> lists when the query does not say.</summary>
    public int DefaultTopK { get; init; } = 3;

    /// <summary>A request still running after this long is cancelled and answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long shutdown (SIGTERM, Ctrl+C, cancellation) waits for in-flight requests.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most simultaneous connections; beyond it a new connection is closed at once.</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>
    /// How long a connection may sit without a request (a fresh one before its first byte, or a kept-alive one between
    /// requests) before it is closed. Short, so that idle sockets cannot hold every one of <see cref="MaxConnections"/>.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a client may take to send a request's headers once it has started.</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reload <see cref="ModelPath"/> when the file changes.</summary>
    public bool WatchModelFile { get; init; }

    /// <summary>The largest raw feature value the web page draws with (ink); null guesses from the model.</summary>
    public float? InputMax { get; init; }

    /// <summary>Receives one line per notable event (listening, reloads, rejected files, shutdown). The library never prints.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Checks the settings once, before any work.</summary>
    public ServeOptions Validate()
    {
        if (ModelPath is null && Model is null) throw new ArgumentException("Give a model file (--model) or a model.");
        if (Urls is null || Urls.Count == 0) throw new ArgumentException("Give at least one URL to listen on.");
        foreach (var url in Urls)
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                throw new ArgumentException($"'{url}' is not an http:// URL (HTTPS belongs in a reverse proxy).");
        if (MaxBodyBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxBodyBytes), "The body limit must be at least 1 KiB.");
        if (MaxModelBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxModelBytes));
        if (MaxRows < 1) throw new ArgumentOutOfRangeException(nameof(MaxRows));
        if (DefaultTopK < 0) throw new ArgumentOutOfRangeException(nameof(DefaultTopK));
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout));
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout));
        if (MaxConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnections));
        if (IdleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdleTimeout));
        if (HeadersTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HeadersTimeout));
        if (WatchModelFile && ModelPath is null) throw new ArgumentException("Watching needs a model file.");
        if (InputMax is { } max && !(max > 0 && float.IsFinite(max))) throw new ArgumentOutOfRangeException(nameof(InputMax));
        return this;
    }
}

using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Softmax.IO;

namespace Softmax.Serving;

/// <summary>
/// The prediction service: Kestrel with minimal APIs. <see cref="RunAsync"/> is the whole of <c>softmax serve</c>;
/// <see cref="StartAsync"/> and <see cref="StopAsync"/> are for tests and embedding. Shutdown (SIGTERM, Ctrl+C or
/// the cancellation token) stops accepting connections and lets requests in flight finish, up to
/// <see cref="ServeOptions.ShutdownTimeout"/>.
/// </summary>
public sealed class ModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelFileWatcher? _watcher;

    private ModelServer(WebApplication app, ModelSlot slot, ServingMetrics metrics, ModelFileWatcher? watcher) =>
        (_app, Slot, Metrics, _watcher) = (app, slot, metrics, watcher);

    /// <summary>The served model.</summary>
    public ModelSlot Slot { get; }

    /// <summary>The counters behind <c>/metrics</c>.</summary>
    public ServingMetrics Metrics { get; }

    /// <summary>The addresses actually bound (port 0 resolved).</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>Serves until <paramref name="cancellationToken"/> fires or the process gets SIGTERM/Ctrl+C; then drains and returns 0.</summary>
    public static async Task<int> RunAsync(ServeOptions options, CancellationToken cancellationToken = default)
    {
        await using var server = await StartAsync(options, cancellationToken);
        var lifetime = server._app.Services.GetRequiredService<IHostApplicationLifetime>();
        var slot = server.Slot.Current;
        options.Log?.Invoke($"serving {slot.Source} ({slot.Model.Classes} classes, {slot.Model.Features} features) on {string.Join(", ", server.Addresses)}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
        options.Log?.Invoke("shutting down: draining requests in flight");
        await server.StopAsync();
        options.Log?.Invoke("stopped");
        return 0;
    }

    /// <summary>Loads the model, binds and starts serving.</summary>
    public static async Task<ModelServer> StartAsync(ServeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var model = options.Model ?? ModelFile.Load(options.ModelPath!);
        var slot = new ModelSlot(model, options.ModelPath ?? "memory");
        var metrics = new ServingMetrics();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.Limits.MaxConcurrentConnections = options.MaxConnections;
            k.Limits.MaxConcurrentUpgradedConnections = 0;
            k.Limits.RequestHeadersTimeout = options.HeadersTimeout;
            k.Limits.KeepAliveTimeout = options.IdleTimeout;   // Kestrel applies it to a new connection's first request too
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(c => c.SuppressStatusMessages = true);
        builder.Services.AddRequestTimeouts(t => t.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = options.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            WriteTimeoutResponse = context => ErrorJson(context, "timeout", $"The request took longer than {options.RequestTimeout.TotalSeconds:0.###} s."),
        });
        var app = builder.Build();

        var predict = new PredictEndpoint(slot, metrics, options);
        var admin = new AdminEndpoint(slot, metrics, options);
        app.UseRouting();
        app.Use((context, next) => Observe(context, next, metrics, options));
        app.UseRequestTimeouts();

        app.MapPost("/v1/predict", predict.Handle);
        app.MapGet("/v1/model", context => WriteJson(context, ModelInfoWriter.Info(slot.Current, options)));
        app.MapGet("/v1/model/weights", context => WriteJson(context, ModelInfoWriter.Weights(slot.Current)));
        app.MapPost("/v1/model", admin.Handle);
        app.MapGet("/healthz", context => WriteJson(context, new { status = "ok", model_version = slot.Current.Version }));
        app.MapGet("/metrics", context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(metrics.Write(slot.Current));
        });
        app.MapGet("/", context => StaticPage.Serve(context, "index.html"));
        foreach (var name in StaticPage.Names) app.MapGet("/" + name, context => StaticPage.Serve(context, name));

        await app.StartAsync(cancellationToken);
        var watcher = options.WatchModelFile ? new ModelFileWatcher(options.ModelPath!, slot, metrics, options.Log) : null;
        return new ModelServer(app, slot, metrics, watcher);
    }

    /// <summary>Stops accepting connections and waits for requests in flight (up to the shutdown timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _watcher?.Dispose();
        await _app.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        await _app.DisposeAsync();
    }

    // Metrics for every request, and the one place where errors become JSON: client errors with what was wrong,
    // anything unexpected as a 500 that names no internals.
    private static async Task Observe(HttpContext context, RequestDelegate next, ServingMetrics metrics, ServeOptions options)
    {
        long start = Stopwatch.GetTimestamp();
        metrics.Started();
        try
        {
            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status504GatewayTimeout) metrics.Error("timeout");
            else if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !context.Response.HasStarted)
                await Fail(context, metrics, 405, "method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}.");
            else if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted)
                await Fail(context, metrics, 404, "not_found", $"No endpoint {context.Request.Method} {context.Request.Path}.");
        }
        catch (InputException e)
        {
            await Fail(context, metrics, e.StatusCode, e.Reason, e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            metrics.Error("aborted");   // the client went away (or the request timed out and was answered already)
        }
        catch (BadHttpRequestException e)
        {
            await Fail(context, metrics, e.StatusCode, e.StatusCode == 413 ? "too_large" : "bad_request", e.Message);
        }
        catch (Exception e)
        {
            options.Log?.Invoke($"error: {context.Request.Method} {context.Request.Path}: {e}");
            await Fail(context, metrics, 500, "internal", "Internal error; the server log has the details.");
        }
        finally
        {
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            if (route.Contains('{')) route = "fallback";
            metrics.Request(route, context.Request.Method, context.Response.StatusCode, Stopwatch.GetTimestamp() - start);
        }
    }

    private static async Task Fail(HttpContext context, ServingMetrics metrics, int status, string reason, string message)
    {
        metrics.Error(reason);
        if (context.Response.HasStarted) { context.Abort(); return; }
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        await ErrorJson(context, reason, message);
    }

    // Not cancelled by RequestAborted: after a timeout that token has fired, and the 504 must still be written.
    private static Task ErrorJson(HttpContext context, string reason, string message) =>
        context.Response.WriteAsJsonAsync(new { error = message, reason, status = context.Response.StatusCode }, JsonSerializerOptions.Default);

    /// <summary>Writes <paramref name="value"/> (an anonymous object, in property order) as the JSON response.</summary>
    internal static Task WriteJson(HttpContext context, object value, JsonSerializerOptions? options = null) =>
        context.Response.WriteAsJsonAsync(value, options ?? JsonSerializerOptions.Default, context.RequestAborted);
}

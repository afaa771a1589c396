using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Softmax.IO;

namespace Softmax.Serving;

/// <summary>
/// <c>POST /v1/model</c>: hot reload. Off (404) unless an admin token is configured; the token comes as
/// <c>Authorization: Bearer T</c> or <c>X-Admin-Token: T</c> and is compared in constant time (401 when missing,
/// 403 when wrong). The body is a model file; an empty body re-reads the served file. A file that does not load is
/// answered 422 and the old model keeps serving.
/// </summary>
internal sealed class AdminEndpoint(ModelSlot slot, ServingMetrics metrics, ServeOptions options)
{
    private readonly byte[]? _tokenHash = string.IsNullOrEmpty(options.AdminToken) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.AdminToken));

    public async Task Handle(HttpContext context)
    {
        if (_tokenHash is null)
            throw new InputException("The admin endpoint is disabled: start the server with an admin token (--admin-token or " +
                                     $"{ServeOptions.AdminTokenVariable}) to enable hot reload.", 404, "admin_disabled");
        string? given = Token(context.Request);
        if (given is null)
            throw new InputException("Admin token missing: send 'Authorization: Bearer TOKEN' or 'X-Admin-Token: TOKEN'.", 401, "unauthorized");
        // Hashing first makes both sides 32 bytes, so neither the content nor the length leaks through timing.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _tokenHash))
            throw new InputException("Wrong admin token.", 403, "forbidden");

        using var body = await HttpBody.ReadAsync(context, options.MaxModelBytes, context.RequestAborted);
        ServedModel next;
        try
        {
            if (body.Length > 0) next = slot.Load(body.Span, "upload");
            else if (options.ModelPath is { } path) next = slot.Load(await File.ReadAllBytesAsync(path, context.RequestAborted), path);
            else throw new InputException("The body is empty and the server has no model file to re-read.");
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            metrics.Reload("rejected");
            options.Log?.Invoke($"reload rejected: {e.Message}; still serving version {slot.Current.Version}");
            throw new InputException($"Model rejected, still serving version {slot.Current.Version}: {e.Message}", 422, "model_rejected");
        }
        metrics.Reload("ok");
        options.Log?.Invoke($"reloaded: version {next.Version} from {next.Source} ({next.Model.Classes} classes, {next.Model.Features} features)");
        await ModelServer.WriteJson(context, ModelInfoWriter.Info(next, options));
    }

    private static string? Token(HttpRequest request)
    {
        string? auth = request.Headers.Authorization;
        if (auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return auth[7..].Trim();
        string? header = request.Headers["X-Admin-Token"];
        return string.IsNullOrEmpty(header) ? null : header;
    }
}

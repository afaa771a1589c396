using Microsoft.AspNetCore.Http;

namespace Softmax.Serving;

/// <summary>The web page's files (index.html, app.js, app.css), embedded in the assembly and served from memory.</summary>
internal static class StaticPage
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Files = Load();

    public static IEnumerable<string> Names => Files.Keys;

    public static Task Serve(HttpContext context, string name)
    {
        var (bytes, type) = Files[name];
        var headers = context.Response.Headers;
        headers.ContentType = type;
        headers.CacheControl = "no-cache";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(StaticPage).Assembly;
        return assembly.GetManifestResourceNames().Where(r => r.StartsWith("wwwroot/", StringComparison.Ordinal)).ToDictionary(
            resource => resource["wwwroot/".Length..],
            resource =>
            {
                using var stream = assembly.GetManifestResourceStream(resource)!;
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return (copy.ToArray(), Path.GetExtension(resource) switch
                {
                    ".html" => "text/html; charset=utf-8",
                    ".js" => "text/javascript; charset=utf-8",
                    ".css" => "text/css; charset=utf-8",
                    _ => "application/octet-stream",
                });
            },
            StringComparer.Ordinal);
    }
}

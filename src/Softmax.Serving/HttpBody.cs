using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Softmax.Serving;

/// <summary>Reads a whole request body into a pooled buffer, refusing more than a limit (413) before and while reading.</summary>
internal sealed class HttpBody(int capacity) : PooledArray<byte>(capacity)
{
    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => Items.AsSpan(0, Length);

    public static async Task<HttpBody> ReadAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        if (request.ContentLength is long declared && declared > limit)
            throw new InputException($"The body is {declared} bytes; the limit is {limit}.", 413, "too_large");
        var body = new HttpBody(Math.Max((int)Math.Min(limit + 1, request.ContentLength ?? 16 * 1024), 256));
        try
        {
            while (true)
            {
                body.Ensure(body.Length + 1, body.Length);
                int read = await request.Body.ReadAsync(body.Items.AsMemory(body.Length), cancellationToken);
                if (read == 0) return body;
                body.Length += read;
                if (body.Length > limit) throw new InputException($"The body is over the limit of {limit} bytes.", 413, "too_large");
            }
        }
        catch (Exception e)
        {
            body.Dispose();
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
                throw new InputException($"The body is over the limit of {limit} bytes.", 413, "too_large");
            throw;
        }
    }
}

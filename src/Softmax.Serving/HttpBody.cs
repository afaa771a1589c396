using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Softmax.Serving;

/// <summary>Reads a whole request body into a pooled buffer, refusing more than a limit (413) before and while reading.</summary>
internal sealed class HttpBody : IDisposable
{
    private byte[] _buffer;

    private HttpBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public static async Task<HttpBody> ReadAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        if (request.ContentLength is long declared && declared > limit)
            throw new InputException($"The body is {declared} bytes; the limit is {limit}.", 413, "too_large");
        int capacity = (int)Math.Min(limit + 1, request.ContentLength ?? 16 * 1024);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));
        int length = 0;
        bool done = false;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(int.MaxValue, 2L * buffer.Length));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                int read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0) break;
                length += read;
                if (length > limit) throw new InputException($"The body is over the limit of {limit} bytes.", 413, "too_large");
            }
            done = true;
            return new HttpBody(buffer, length);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new InputException($"The body is over the limit of {limit} bytes.", 413, "too_large");
        }
        finally
        {
            if (!done) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

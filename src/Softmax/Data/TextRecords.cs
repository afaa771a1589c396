namespace Softmax.Data;

/// <summary>Receives the records of a text file one at a time.</summary>
internal interface IRecordVisitor
{
    /// <summary>One record without its line ending; <paramref name="line"/> is the 1-based line it starts on. Return false to stop.</summary>
    bool Visit(ReadOnlySpan<byte> record, long line);
}

/// <summary>
/// Splits a stream into records at line ends, streaming through a buffer that only grows when a single record
/// does not fit, up to <see cref="DataFiles.MaxRecordBytes"/> (a longer record is refused, so a file without line
/// ends or with an unclosed quote costs 64 MiB, not the whole file). With <c>quotes</c> on, newlines inside
/// double-quoted fields do not end a record.
/// </summary>
internal static class TextRecords
{
    public static void ForEach<T>(Stream stream, bool quotes, ref T visitor) where T : struct, IRecordVisitor
    {
        var buffer = new byte[DataFiles.BufferSize];
        int length = 0;
        bool eof = false, first = true;
        long line = 1;
        while (true)
        {
            if (!eof)
            {
                int want = buffer.Length - length;
                int n = stream.ReadAtLeast(buffer.AsSpan(length), want, throwOnEndOfStream: false);
                length += n;
                eof = n < want;
            }
            var data = buffer.AsSpan(0, length);
            int pos = 0;
            if (first)
            {
                first = false;
                if (data.StartsWith("\uFEFF"u8)) pos = 3; // UTF-8 byte order mark
            }
            while (true)
            {
                int end = FindEnd(data, pos, quotes, out int inner);
                if (end < 0)
                {
                    if (!eof) break;
                    if (pos < length && !visitor.Visit(Trim(data[pos..]), line)) return;
                    return;
                }
                if (!visitor.Visit(Trim(data[pos..end]), line)) return;
                line += 1 + inner;
                pos = end + 1;
            }
            Buffer.BlockCopy(buffer, pos, buffer, 0, length - pos);
            length -= pos;
            if (length == buffer.Length)
            {
                if (buffer.Length >= DataFiles.MaxRecordBytes)
                    throw new DataFormatException((stream as DataFileStream)?.Path ?? "<stream>", line,
                        $"a record longer than {DataFiles.MaxRecordBytes >> 20} MiB (no line end{(quotes ? ", or an unclosed quote" : "")}); records are limited to that size");
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, DataFiles.MaxRecordBytes));
            }
        }
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> record) =>
        record.Length > 0 && record[^1] == '\r' ? record[..^1] : record;

    /// <summary>Index of the newline ending the record that starts at <paramref name="start"/>, or −1 if not in <paramref name="data"/>.</summary>
    private static int FindEnd(ReadOnlySpan<byte> data, int start, bool quotes, out int innerNewlines)
    {
        innerNewlines = 0;
        if (!quotes)
        {
            int k = data[start..].IndexOf((byte)'\n');
            return k < 0 ? -1 : start + k;
        }
        int i = start;
        while (true)
        {
            int k = data[i..].IndexOfAny((byte)'\n', (byte)'"');
            if (k < 0) return -1;
            i += k;
            if (data[i] == '\n') return i;
            // Inside a quoted section: find the closing quote; "" is an escaped quote and stays inside.
            i++;
            while (true)
            {
                int q = data[i..].IndexOf((byte)'"');
                if (q < 0) return -1;
                innerNewlines += data.Slice(i, q).Count((byte)'\n');
                i += q + 1;
                if (i < data.Length && data[i] == '"') { i++; continue; }
                if (i >= data.Length) return -1;
                break;
            }
        }
    }
}

using System.Text;

namespace Softmax.Data;

/// <summary>Receives one CSV record's fields (unquoted, trimmed) and its 1-based line; return false to stop.</summary>
public delegate bool CsvRecordVisitor(IReadOnlyList<string> fields, long line);

/// <summary>
/// The CSV record layer that every reader shares (training, predict, eval and serve): RFC 4180 quoting (a quoted
/// field may hold the delimiter, <c>""</c> and newlines), a UTF-8 byte order mark skipped, lines that are empty or
/// hold only spaces and tabs skipped, the delimiter detected among ',', ';', tab and '|' from the first 20 records.
/// Fields must be valid UTF-8; anything else is a <see cref="DataFormatException"/> naming the line and column.
/// </summary>
public static class CsvRecords
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
    private static readonly char[] Candidates = [',', ';', '\t', '|'];

    /// <summary>Reads every record of <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static void Read(Stream stream, string name, char? delimiter, CsvRecordVisitor visit) =>
        Run(stream ?? throw new ArgumentNullException(nameof(stream)), name, delimiter, visit ?? throw new ArgumentNullException(nameof(visit)));

    /// <summary>The first record's fields (null for a file without records), its line, and the delimiter (given or detected).</summary>
    internal static (List<string>? Fields, long Line, byte Delimiter) ReadFirst(Func<Stream> open, string name, char? delimiter)
    {
        (List<string>? Fields, long Line) first = (null, 0);
        using var stream = open();
        byte used = Run(stream, name, delimiter, (fields, line) => { first = ([.. fields], line); return false; });
        return (first.Fields, first.Line, used);
    }

    private static byte Run(Stream stream, string name, char? delimiter, CsvRecordVisitor visit)
    {
        var splitter = new Splitter(name, delimiter, visit);
        TextRecords.ForEach(stream, quotes: true, ref splitter);
        splitter.Flush();
        return splitter.Delimiter;
    }

    /// <summary>Reads every record of a file, plain or gzip-compressed.</summary>
    public static void Read(string path, char? delimiter, CsvRecordVisitor visit)
    {
        using var stream = DataFiles.Open(path, out _, out _);
        Read(stream, path, delimiter, visit);
    }

    /// <summary>Whether a record holds nothing but spaces and tabs (skipped by every CSV reader).</summary>
    internal static bool IsBlank(ReadOnlySpan<byte> record) => record.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0;

    /// <summary>Decodes a field strictly: invalid UTF-8 is an error naming the place.</summary>
    internal static string Decode(ReadOnlySpan<byte> field, string name, long line, int column)
    {
        try { return Strict.GetString(field); }
        catch (DecoderFallbackException)
        {
            throw new DataFormatException(name, line, $"column {column}: expected UTF-8 text, found invalid bytes");
        }
    }

    private static char DetectDelimiter(List<(long Line, byte[] Record)> sample)
    {
        char best = ',';
        int bestCount = 0;
        foreach (char c in Candidates)
        {
            int first = CountOutsideQuotes(sample[0].Record, (byte)c);
            if (first == 0) continue;
            bool consistent = sample.All(r => CountOutsideQuotes(r.Record, (byte)c) == first);
            int score = consistent ? first + 1_000_000 : first;
            if (score > bestCount) { best = c; bestCount = score; }
        }
        return best;
    }

    private static int CountOutsideQuotes(ReadOnlySpan<byte> record, byte c)
    {
        int n = 0;
        bool quoted = false;
        foreach (byte b in record)
        {
            if (b == '"') quoted = !quoted;
            else if (b == c && !quoted) n++;
        }
        return n;
    }

    /// <summary>
    /// The unquoted, trimmed field starting at <paramref name="pos"/>; <paramref name="end"/> is where it ends (the
    /// index of the delimiter, or the record length). A quoted field's unescaped content goes through <paramref name="scratch"/>.
    /// </summary>
    internal static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> record, int pos, byte delimiter, List<byte> scratch, string name,
        long line, int column, out int end)
    {
        int i = pos;
        while (i < record.Length && record[i] == ' ') i++;
        if (i >= record.Length || record[i] != '"')
        {
            int k = record[pos..].IndexOf(delimiter);
            end = k < 0 ? record.Length : pos + k;
            return record[pos..end].Trim((byte)' ');
        }
        scratch.Clear();
        i++;
        while (true)
        {
            if (i >= record.Length) throw new DataFormatException(name, line, $"column {column}: expected a closing quote, found the end of the row");
            byte b = record[i++];
            if (b != '"') { scratch.Add(b); continue; }
            if (i < record.Length && record[i] == '"') { scratch.Add(b); i++; continue; }
            break;
        }
        while (i < record.Length && record[i] == ' ') i++;
        if (i < record.Length && record[i] != delimiter)
            throw new DataFormatException(name, line, $"column {column}: expected a delimiter after the closing quote, found '{(char)record[i]}'");
        end = i;
        return scratch.ToArray().AsSpan().Trim((byte)' ');
    }

    /// <summary>Splits one record into unquoted, trimmed fields.</summary>
    internal static List<string> Split(ReadOnlySpan<byte> record, byte delimiter, string name, long line)
    {
        var fields = new List<string>();
        var scratch = new List<byte>();
        int pos = 0;
        while (true)
        {
            var field = Field(record, pos, delimiter, scratch, name, line, fields.Count + 1, out int end);
            fields.Add(Decode(field, name, line, fields.Count + 1));
            if (end >= record.Length) return fields;
            pos = end + 1;
        }
    }

    /// <summary>Holds the first 20 records back until the delimiter is detected from them, then splits every record.</summary>
    private struct Splitter(string name, char? delimiter, CsvRecordVisitor visit) : IRecordVisitor
    {
        private readonly List<(long Line, byte[] Record)> _sample = [];
        private byte? _delimiter = delimiter is { } d ? (byte)d : null;
        private bool _stopped;

        public readonly byte Delimiter => _delimiter ?? (byte)',';

        public bool Visit(ReadOnlySpan<byte> record, long line)
        {
            if (IsBlank(record)) return true;
            if (_delimiter is null)
            {
                _sample.Add((line, record.ToArray()));
                if (_sample.Count < 20) return true;
                return Release();
            }
            return Emit(record, line);
        }

        public void Flush()
        {
            if (_delimiter is null && !_stopped) Release();
        }

        private bool Release()
        {
            _delimiter = _sample.Count == 0 ? (byte)',' : (byte)DetectDelimiter(_sample);
            foreach (var (line, record) in _sample)
                if (!Emit(record, line)) return false;
            _sample.Clear();
            return true;
        }

        private bool Emit(ReadOnlySpan<byte> record, long line)
        {
            if (_stopped) return false;
            bool go = visit(Split(record, _delimiter!.Value, name, line), line);
            if (!go) _stopped = true;
            return go;
        }
    }
}

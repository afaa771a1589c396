using System.Text;

namespace Softmax.Data;

/// <summary>
/// Reads LIBSVM / SVMlight sparse text (<c>label idx:val idx:val ... # comment</c>) into a <see cref="CsrMatrix"/>.
/// Indices are 1-based and strictly ascending within a line; <c>qid:</c> tokens are ignored; labels are mapped to
/// classes like <see cref="CsvReader"/> does (numbers in numeric order). Two streaming passes: count rows and
/// non-zeros, then parse into exactly sized arrays.
/// </summary>
public static class LibSvmReader
{
    /// <summary>
    /// The largest feature index accepted: 2²⁴. A model holds C × D parameters and L-BFGS keeps 20 more vectors of that
    /// size, so one stray index of 10⁸ would cost tens of GB before the first row is scored.
    /// </summary>
    internal const int MaxFeatureIndex = 1 << 24;

    /// <summary>
    /// Reads <paramref name="path"/> (plain or gzip). <paramref name="featureCount"/> fixes the column count (needed
    /// when a test file lacks the highest features); otherwise it is the largest index seen.
    /// </summary>
    public static Dataset Read(string path, int? featureCount = null)
    {
        if (featureCount is <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), "The feature count must be positive.");
        var counter = new Counter();
        using (var s = DataFiles.Open(path, out _, out _)) TextRecords.ForEach(s, quotes: false, ref counter);
        if (counter.Rows == 0) throw new DataFormatException(path, null, "expected LIBSVM rows 'label idx:val ...', found an empty file");
        int rows = checked((int)counter.Rows);
        if (counter.Colons > Array.MaxLength) throw new DataFormatException(path, null, $"{counter.Colons} values exceed the largest array .NET allows");
        var parser = new Parser(path, rows, counter.Colons, featureCount);
        using (var s = DataFiles.Open(path, out _, out _)) TextRecords.ForEach(s, quotes: false, ref parser);
        if (parser.Row != counter.Rows)
            throw new DataFormatException(path, null, $"expected {counter.Rows} rows (first pass), found {parser.Row}: the file changed while being read");
        var (columnIndices, values) = (parser.Columns, parser.Values);
        Array.Resize(ref columnIndices, (int)parser.Pointers[^1]);   // no copy when every colon was a value
        Array.Resize(ref values, (int)parser.Pointers[^1]);
        int columns = featureCount ?? Math.Max(1, parser.MaxIndex);
        var names = parser.Labels.Finish(parser.LabelIds);
        return new Dataset(new CsrMatrix(parser.Pointers, columnIndices, values, parser.LabelIds.Length, columns),
            parser.LabelIds, names, name: Path.GetFileName(path));
    }

    private static ReadOnlySpan<byte> Content(ReadOnlySpan<byte> record)
    {
        int hash = record.IndexOf((byte)'#');
        if (hash >= 0) record = record[..hash];
        return record.Trim(" \t"u8);
    }

    private struct Counter : IRecordVisitor
    {
        public long Rows, Colons;

        public bool Visit(ReadOnlySpan<byte> record, long line)
        {
            var content = Content(record);
            if (content.Length == 0) return true;
            Rows++;
            Colons += content.Count((byte)':');
            return true;
        }
    }

    private struct Parser(string path, int rows, long maxNonZeros, int? featureCount) : IRecordVisitor
    {
        public readonly long[] Pointers = new long[rows + 1];
        public readonly int[] Columns = new int[maxNonZeros];
        public readonly float[] Values = new float[maxNonZeros];
        public readonly int[] LabelIds = new int[rows];
        public readonly LabelMap Labels = new();
        public int Row, MaxIndex;
        private long _nnz;

        public bool Visit(ReadOnlySpan<byte> record, long line)
        {
            var content = Content(record);
            if (content.Length == 0) return true;
            if (Row >= LabelIds.Length)
                throw new DataFormatException(path, line, "more rows than the first pass counted: the file changed while being read");
            int pos = NextToken(content, 0, out var label);
            if (label.Contains((byte)':'))
                throw new DataFormatException(path, line, $"expected a label first, found '{Text(label)}'");
            LabelIds[Row] = Labels.Add(CsvRecords.Decode(label, path, line, 1));   // strict UTF-8: 0xFF and 0xFE are not one class
            int previous = 0;
            while (pos < content.Length)
            {
                pos = NextToken(content, pos, out var token);
                if (token.Length == 0) break;
                int colon = token.IndexOf((byte)':');
                if (colon < 0) throw new DataFormatException(path, line, $"expected 'index:value', found '{Text(token)}'");
                var key = token[..colon];
                if (key.SequenceEqual("qid"u8)) continue;
                if (!int.TryParse(key, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int index))
                    throw new DataFormatException(path, line, long.TryParse(key, System.Globalization.CultureInfo.InvariantCulture, out long big) && big > 0
                        ? $"feature index {big} is above the limit of {MaxFeatureIndex} features (2^24; see docs/formats.md)"
                        : $"expected an integer feature index, found '{Text(key)}'");
                if (index <= 0) throw new DataFormatException(path, line, $"expected a 1-based feature index (>= 1), found {index}");
                if (index > MaxFeatureIndex)
                    throw new DataFormatException(path, line, $"feature index {index} is above the limit of {MaxFeatureIndex} features (2^24; see docs/formats.md)");
                if (index <= previous)
                    throw new DataFormatException(path, line, $"expected feature indices in strictly ascending order, found {index} after {previous}");
                if (featureCount is { } fc && index > fc)
                    throw new DataFormatException(path, line, $"expected feature indices up to the feature count {fc}, found {index}");
                var status = FloatParser.Parse(token[(colon + 1)..], out float value);
                if (status != NumberStatus.Ok)
                    throw new DataFormatException(path, line, $"feature {index}: expected a finite number, found '{Text(token[(colon + 1)..])}'");
                previous = index;
                MaxIndex = Math.Max(MaxIndex, index);
                Columns[_nnz] = index - 1;
                Values[_nnz++] = value;
            }
            Pointers[++Row] = _nnz;
            return true;
        }

        private static int NextToken(ReadOnlySpan<byte> s, int pos, out ReadOnlySpan<byte> token)
        {
            while (pos < s.Length && (s[pos] == ' ' || s[pos] == '\t')) pos++;
            int end = pos;
            while (end < s.Length && s[end] != ' ' && s[end] != '\t') end++;
            token = s[pos..end];
            return end;
        }

        private static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s.Length > 40 ? s[..40] : s);
    }
}

using System.Globalization;
using System.Text;

namespace Softmax.Cli.Output;

/// <summary>
/// Text from data and model files (class names, the bad token a reader quotes in an error) made safe to print:
/// control characters (C0, DEL, C1: ESC starts the sequences that clear a screen or set a window title) and the
/// bidirectional overrides that reorder what a reader sees are shown as visible escapes (<c>\x1B</c>, <c>\u202E</c>).
/// Every line the tool writes for a person goes through <see cref="Safe"/>.
/// </summary>
public static class TerminalText
{
    /// <summary>The text with every unsafe character replaced by a visible escape; newlines kept when <paramref name="keepNewlines"/>.</summary>
    public static string Safe(string? text, bool keepNewlines = false)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        int i = 0;
        while (i < text.Length && !Unsafe(text[i], keepNewlines)) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!Unsafe(c, keepNewlines)) sb.Append(c);
            else if (c < 0x100) sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static bool Unsafe(char c, bool keepNewlines) =>
        (char.IsControl(c) && !(keepNewlines && c == '\n'))
        || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';
}

using System.Globalization;
using System.Text;

namespace Softmax.Data;

/// <summary>Text from a data file made safe for a message: control characters escaped (no terminal escapes), long text clipped.</summary>
public static class DisplayText
{
    /// <summary><paramref name="text"/> with control characters as <c>\xNN</c> / <c>\uNNNN</c>, clipped to <paramref name="max"/> characters.</summary>
    public static string Of(string? text, int max = 40)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var s = new StringBuilder();
        foreach (char c in text.Length > max ? text[..max] : text)
        {
            if (!char.IsControl(c)) s.Append(c);
            else s.Append(c < 0x100 ? $"\\x{(int)c:X2}" : $"\\u{(int)c:X4}");
        }
        if (text.Length > max) s.Append('…');
        return s.ToString();
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;

namespace Softmax.Data;

/// <summary>Outcome of parsing one number from text.</summary>
internal enum NumberStatus
{
    Ok,
    NotANumber,
    NaN,
    Infinity,
}

/// <summary>
/// Parses invariant-culture decimal numbers from UTF-8 into float32, correctly rounded.
/// Fast path (Clinger): a mantissa of at most 24 bits with |exponent| ≤ 10 is exact in float; a mantissa of at most
/// 53 bits with |exponent| ≤ 22 is correctly rounded in double, and converting that double to float rounds the same
/// way unless it sits exactly on a float halfway point, which goes to <see cref="float.Parse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?)"/>
/// like every other case.
/// </summary>
internal static class FloatParser
{
    private static readonly float[] PowersF = [1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f];
    private static readonly double[] PowersD =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Parses the whole of <paramref name="s"/> (spaces around it allowed) as one finite number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NumberStatus Parse(ReadOnlySpan<byte> s, out float value)
    {
        int i = 0;
        NumberStatus status = ParsePrefix(s, ref i, out value);
        if (status != NumberStatus.Ok) return status;
        while (i < s.Length && (s[i] == ' ' || s[i] == '\t')) i++;
        return i == s.Length ? NumberStatus.Ok : NumberStatus.NotANumber;
    }

    /// <summary>Parses a number starting at <paramref name="i"/> (leading spaces skipped, not tabs) and leaves <paramref name="i"/> after it.</summary>
    public static NumberStatus ParsePrefix(ReadOnlySpan<byte> s, ref int i, out float value)
    {
        value = 0;
        while (i < s.Length && s[i] == ' ') i++; // not tabs: a tab may be the delimiter
        int start = i;
        bool negative = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+')) { negative = s[i] == '-'; i++; }
        ulong w = 0;
        int significant = 0, exp10 = 0;
        bool digits = false, slow = false, dot = false;
        uint d;
        for (; i < s.Length; i++)
        {
            if ((d = (uint)(s[i] - '0')) > 9)
            {
                if (s[i] != '.' || dot) break;
                dot = true;
                continue;
            }
            digits = true;
            if (w == 0 && d == 0) { if (dot) exp10--; }   // a leading zero only moves the point
            else if (significant < 19) { w = w * 10 + d; significant++; if (dot) exp10--; }
            else { slow = true; if (!dot) exp10++; }
        }
        if (!digits) return Special(s, ref i);
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            int j = i + 1;
            bool expNegative = false;
            if (j < s.Length && (s[j] == '-' || s[j] == '+')) { expNegative = s[j] == '-'; j++; }
            int e = 0;
            bool expDigits = false;
            while (j < s.Length && (d = (uint)(s[j] - '0')) <= 9) { expDigits = true; if (e < 100000) e = e * 10 + (int)d; j++; }
            if (!expDigits) return NumberStatus.NotANumber;
            exp10 += expNegative ? -e : e;
            i = j;
        }
        if (w == 0) { value = negative ? -0f : 0f; return NumberStatus.Ok; }
        if (!slow && Fast(w, exp10, out float f))
        {
            value = negative ? -f : f;
            return NumberStatus.Ok;
        }
        value = float.Parse(s[start..i], NumberStyles.Float, CultureInfo.InvariantCulture);
        return float.IsInfinity(value) ? NumberStatus.Infinity : NumberStatus.Ok;
    }

    /// <summary>w·10^exp10 by Clinger's fast path, or false when it may not be correctly rounded.</summary>
    private static bool Fast(ulong w, int exp10, out float f)
    {
        f = w;
        if (w <= 1UL << 24 && exp10 >= -10 && exp10 <= 10)
        {
            f = exp10 < 0 ? f / PowersF[-exp10] : f * PowersF[exp10];
            return true;
        }
        if (w > 1UL << 53 || exp10 < -22 || exp10 > 22) return false;
        double x = w;
        x = exp10 < 0 ? x / PowersD[-exp10] : x * PowersD[exp10];
        f = (float)x;
        // Bits below float precision exactly at one half: double rounding could differ, take the slow path.
        return (BitConverter.DoubleToInt64Bits(x) & 0x1FFF_FFFF) != 0x1000_0000;
    }

    private static NumberStatus Special(ReadOnlySpan<byte> s, ref int i)
    {
        int end = i;
        while (end < s.Length && char.IsAsciiLetter((char)s[end])) end++;
        var word = s[i..end];
        if (word.Length == 0) return NumberStatus.NotANumber;
        if (System.Text.Ascii.EqualsIgnoreCase(word, "nan"u8)) { i = end; return NumberStatus.NaN; }
        if (System.Text.Ascii.EqualsIgnoreCase(word, "inf"u8) || System.Text.Ascii.EqualsIgnoreCase(word, "infinity"u8)) { i = end; return NumberStatus.Infinity; }
        return NumberStatus.NotANumber;
    }
}

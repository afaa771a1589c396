namespace Softmax.Cli.Infrastructure;

/// <summary>A bad option value or combination the user can fix; the tool exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message)
{
    /// <summary><paramref name="value"/> when <paramref name="ok"/>; otherwise the error "FLAG must be WHAT, not VALUE.".</summary>
    public static T Check<T>(T value, bool ok, string flag, string what) =>
        ok ? value : throw new UsageException($"{flag} must be {what}, not {value}.");
}

namespace Softmax.Cli.Infrastructure;

/// <summary>A bad option value or combination the user can fix; the tool exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

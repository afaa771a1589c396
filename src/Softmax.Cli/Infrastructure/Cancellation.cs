namespace Softmax.Cli.Infrastructure;

/// <summary>
/// Turns the first Ctrl+C into a cancellation request (the command stops cleanly and keeps its best result); a
/// second Ctrl+C ends the process at once.
/// </summary>
public sealed class Cancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();

    /// <summary>Starts listening for Ctrl+C.</summary>
    public Cancellation() => Console.CancelKeyPress += OnCancel;

    /// <summary>Fires on the first Ctrl+C.</summary>
    public CancellationToken Token => _source.Token;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (_source.IsCancellationRequested) return;   // second press: let the runtime end the process
        e.Cancel = true;
        Console.Error.WriteLine("softmax: stopping after the current step (Ctrl+C again to abort)...");
        _source.Cancel();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _source.Dispose();
    }
}

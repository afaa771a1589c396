using System.Runtime.InteropServices;
using System.Text;
using Softmax.Data;
using Softmax.IO;
using Softmax.Optimization;

namespace Softmax.Native;

/// <summary>The status codes of softmax.h.</summary>
internal static class Status
{
    public const int Ok = 0;
    public const int Argument = -1;
    public const int IO = -2;
    public const int Format = -3;
    public const int Buffer = -4;
    public const int Diverged = -5;
    public const int Cancelled = -6;
    public const int Memory = -7;
    public const int Internal = -99;
}

/// <summary>Raised inside the library to return a given status with a message (a too-small buffer, a cancelled run).</summary>
internal sealed class NativeStatusException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The ABI boundary: every export runs its body through <see cref="Run"/>, which turns any exception into a status
/// code and this thread's message (softmax_last_error). Nothing managed ever unwinds into C.
/// </summary>
internal static unsafe class Errors
{
    [ThreadStatic] private static byte* t_message;
    private static readonly byte Empty = 0;

    /// <summary>This thread's last message as a NUL-terminated UTF-8 string owned by the library.</summary>
    public static byte* Last
    {
        get
        {
            if (t_message is not null) return t_message;
            fixed (byte* empty = &Empty) return empty; // a static field of a static class does not move
        }
    }

    public static int Run(Action body)
    {
        try
        {
            body();
            return Status.Ok;
        }
        catch (Exception e)
        {
            return Fail(e);
        }
    }

    public static int Fail(Exception e)
    {
        int status = e switch
        {
            NativeStatusException s => s.Status,
            OutOfMemoryException or InsufficientExecutionStackException => Status.Memory,
            TrainingDivergedException => Status.Diverged,
            ModelFormatException or DataFormatException or InvalidDataException => Status.Format,
            FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException => Status.IO,
            ArgumentException or InvalidOperationException or NotSupportedException or PlatformNotSupportedException
                or OverflowException => Status.Argument,
            _ => Status.Internal,
        };
        SetMessage(status == Status.Internal ? $"internal error ({e.GetType().Name}): {e.Message}" : e.Message);
        return status;
    }

    private static void SetMessage(string message)
    {
        int length = Encoding.UTF8.GetByteCount(message);
        var buffer = (byte*)NativeMemory.Alloc((nuint)length + 1);
        fixed (char* chars = message) Encoding.UTF8.GetBytes(chars, message.Length, buffer, length);
        buffer[length] = 0;
        if (t_message is not null) NativeMemory.Free(t_message);
        t_message = buffer;
    }
}

using System.Runtime.InteropServices;
using Softmax.Data;

namespace Softmax.Native;

/// <summary>softmax.h: the library functions and the problems. Every body runs inside <see cref="Errors.Run"/>.</summary>
internal static unsafe class Exports
{
    private static readonly byte[] VersionUtf8 = System.Text.Encoding.UTF8.GetBytes(
        (typeof(Exports).Assembly.GetName().Version?.ToString(3) ?? "0.0.0") + "\0");
    private static readonly GCHandle VersionPin = GCHandle.Alloc(VersionUtf8, GCHandleType.Pinned);

    public const int ApiVersion = 2;

    [UnmanagedCallersOnly(EntryPoint = "softmax_version")]
    public static byte* Version() => (byte*)VersionPin.AddrOfPinnedObject();

    [UnmanagedCallersOnly(EntryPoint = "softmax_api_version")]
    public static int GetApiVersion() => ApiVersion;

    [UnmanagedCallersOnly(EntryPoint = "softmax_last_error")]
    public static byte* LastError() => Errors.Last;

    [UnmanagedCallersOnly(EntryPoint = "softmax_options_init")]
    public static void OptionsInit(NativeOptions* options)
    {
        if (options is not null) *options = NativeOptions.Defaults();
    }

    [UnmanagedCallersOnly(EntryPoint = "softmax_problem_dense")]
    public static int ProblemDense(void* x, int dtype, long rows, long cols, long rowStride, int* y, double* sampleWeight,
        int classes, nint* output) => Errors.Run(() =>
        Store(Clear(output), NativeProblem.Dense(x, dtype, rows, cols, rowStride, y, sampleWeight, classes)));

    [UnmanagedCallersOnly(EntryPoint = "softmax_problem_csr")]
    public static int ProblemCsr(void* indptr, void* indices, int indexType, void* data, int valueType, long rows, long cols,
        int* y, double* sampleWeight, int classes, nint* output) => Errors.Run(() =>
        Store(Clear(output), NativeProblem.Csr(indptr, indices, indexType, data, valueType, rows, cols, y, sampleWeight, classes)));

    [UnmanagedCallersOnly(EntryPoint = "softmax_problem_load")]
    public static int ProblemLoad(byte* source, int part, nint* output) => Errors.Run(() =>
    {
        Clear(output);
        string name = Utf8(source, "source");
        if (part is not (0 or 1)) throw new ArgumentException($"part is {part}; it must be 0 (train) or 1 (test).");
        Store(output, NamedDatasets.Names.Contains(name) ? NamedDatasets.Load(name, part == 0 ? DataSplit.Train : DataSplit.Test)
            : part == 0 ? DataLoader.Load(name) : throw new ArgumentException($"{name} is a file: it has only part 0."));
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_problem_shape")]
    public static int ProblemShape(nint problem, long* rows, long* cols, int* classes) => Errors.Run(() =>
    {
        var data = Handles.Get<Dataset>(problem, "problem");
        if (rows is not null) *rows = data.Rows;
        if (cols is not null) *cols = data.FeatureCount;
        if (classes is not null) *classes = data.ClassCount;
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_problem_is_view")]
    public static int ProblemIsView(nint problem)
    {
        int view = 0;
        int status = Errors.Run(() => view = NativeProblem.IsView(Handles.Get<Dataset>(problem, "problem")) ? 1 : 0);
        return status == Status.Ok ? view : status;
    }

    [UnmanagedCallersOnly(EntryPoint = "softmax_padded_cols")]
    public static long PaddedCols(long cols) => cols <= 0 ? DenseMatrix.Alignment : (cols + DenseMatrix.Alignment - 1) / DenseMatrix.Alignment * DenseMatrix.Alignment;

    [UnmanagedCallersOnly(EntryPoint = "softmax_problem_free")]
    public static void ProblemFree(nint problem) => Handles.Free(problem);

    /// <summary>Sets *<paramref name="output"/> to NULL before any work, so a failed call leaves no stale handle.</summary>
    internal static nint* Clear(nint* output)
    {
        if (output is null) throw new ArgumentException("out is NULL.");
        *output = 0;
        return output;
    }

    /// <summary>Writes a new handle to <paramref name="target"/> into *<paramref name="output"/>.</summary>
    internal static void Store(nint* output, object target)
    {
        *Clear(output) = Handles.New(target);
    }

    /// <summary>
    /// softmax.h's size query: *<paramref name="size"/> = the byte count; with a buffer, copies the bytes into it, or
    /// fails with <see cref="Status.Buffer"/> when they do not fit ("<paramref name="what"/> needs N bytes…").
    /// </summary>
    internal static void CopyOut(ReadOnlySpan<byte> bytes, byte* buffer, nuint capacity, nuint* size, string what, string detail = "")
    {
        if (size is null) throw new ArgumentException("size is NULL.");
        *size = (nuint)bytes.Length;
        if (buffer is null) return;
        if (capacity < (nuint)bytes.Length)
            throw new NativeStatusException(Status.Buffer, $"{what} needs {bytes.Length} bytes{detail}; the buffer holds {capacity}.");
        bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
    }

    internal static string Utf8(byte* text, string name) =>
        Marshal.PtrToStringUTF8((nint)text) is { Length: > 0 } s ? s : throw new ArgumentException($"{name} is NULL or empty.");
}

using System.Runtime.InteropServices;

namespace Softmax.Native;

/// <summary>
/// Opaque C handles (softmax_problem*, softmax_model*) are GC handles to the managed object: alive until the caller
/// frees them, never moved as far as C can tell. The target type is checked on every use, so a model passed where a
/// problem is expected is an argument error, not a crash.
/// </summary>
internal static class Handles
{
    public static nint New(object target) => GCHandle.ToIntPtr(GCHandle.Alloc(target));

    public static T Get<T>(nint handle, string name) where T : class
    {
        if (handle == 0) throw new ArgumentException($"{name} is NULL.");
        return GCHandle.FromIntPtr(handle).Target as T
               ?? throw new ArgumentException($"{name} is not a {typeof(T).Name} handle.");
    }

    public static void Free(nint handle)
    {
        if (handle != 0) GCHandle.FromIntPtr(handle).Free();
    }
}

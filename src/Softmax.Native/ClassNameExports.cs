using System.Runtime.InteropServices;
using System.Text;
using Softmax.Model;

namespace Softmax.Native;

/// <summary>
/// softmax.h: a model's class names (the labels the CLI and .NET print, stored in the model file), read and replaced,
/// so that a model moves between the CLI, C and Python with its labels. Every body runs inside <see cref="Errors.Run"/>.
/// </summary>
internal static unsafe class ClassNameExports
{
    [UnmanagedCallersOnly(EntryPoint = "softmax_model_class_name")]
    public static int ClassName(nint model, int index, byte* buffer, nuint capacity, nuint* size) => Errors.Run(() =>
    {
        var m = Handles.Get<SoftmaxModel>(model, "model");
        if ((uint)index >= (uint)m.Classes) throw new ArgumentException($"index is {index}; the model's classes are 0..{m.Classes - 1}.");
        Exports.CopyOut(Encoding.UTF8.GetBytes(m.ClassNames[index] + "\0"), buffer, capacity, size, $"Class name {index}", " with its NUL");
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_with_class_names")]
    public static int WithClassNames(nint model, byte** names, int count, nint* output) => Errors.Run(() =>
    {
        Exports.Clear(output);
        var m = Handles.Get<SoftmaxModel>(model, "model");
        if (names is null) throw new ArgumentException("names is NULL.");
        if (count != m.Classes) throw new ArgumentException($"n_names is {count}; the model has {m.Classes} classes.");
        var read = new string[count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < count; c++)
        {
            read[c] = Exports.Utf8(names[c], $"names[{c}]");
            if (!seen.Add(read[c])) throw new ArgumentException($"names[{c}] ('{read[c]}') repeats an earlier name; class names must be distinct.");
        }
        Exports.Store(output, new SoftmaxModel(m.Parameters, read, m.Features, m.Preprocessor, m.Image, m.Training) { Schema = m.Schema });
    });
}

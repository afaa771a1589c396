using System.Runtime.InteropServices;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Native;

/// <summary>softmax.h: training, prediction, coefficients and the model file. Every body runs inside <see cref="Errors.Run"/>.</summary>
internal static unsafe class ModelExports
{
    [UnmanagedCallersOnly(EntryPoint = "softmax_train")]
    public static int Train(nint problem, NativeOptions* options, nint warmStart,
        delegate* unmanaged<NativeProgress*, void*, int> progress, void* userData, nint* output)
    {
        bool cancelled = false;
        int status = Errors.Run(() =>
        {
            Exports.Clear(output);
            var data = Handles.Get<Dataset>(problem, "problem");
            var settings = NativeOptions.Read(options).ToTrainingOptions(data);
            if (warmStart != 0) settings = settings with { WarmStart = Handles.Get<SoftmaxModel>(warmStart, "warm_start") };
            using var cancel = new CancellationTokenSource();
            var reporter = progress is null ? null : new CallbackProgress(progress, userData, cancel);
            var result = SoftmaxTrainer.Fit(data, settings, reporter, cancel.Token);
            cancelled = result.Solver.Reason == StopReason.Cancelled;
            Exports.Store(output, result.Model);
        });
        if (status == Status.Ok && cancelled) return Errors.Fail(new NativeStatusException(Status.Cancelled, "Training was cancelled by the progress callback; the model holds the weights so far."));
        return status;
    }

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_shape")]
    public static int Shape(nint model, int* classes, int* features) => Errors.Run(() =>
    {
        var m = Handles.Get<SoftmaxModel>(model, "model");
        if (classes is not null) *classes = m.Classes;
        if (features is not null) *features = m.Features;
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_training_info")]
    public static int TrainingInfo(nint model, NativeTrainingInfo* output) => Errors.Run(() =>
    {
        var t = Handles.Get<SoftmaxModel>(model, "model").Training;
        if (output is null) throw new ArgumentException("out is NULL.");
        *output = new NativeTrainingInfo
        {
            Iterations = t.Iterations, Epochs = t.Epochs ?? t.Evaluations ?? 0, Objective = t.Objective, Seconds = t.Seconds,
            StopReason = Enum.TryParse<StopReason>(t.StopReason, out var reason) ? (int)reason : -1,
        };
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_coefficients")]
    public static int Coefficients(nint model, double* coef, double* intercept) => Errors.Run(() =>
    {
        var m = Handles.Get<SoftmaxModel>(model, "model");
        var theta = m.Parameters.AsSpan();
        int weights = m.Classes * m.Features;
        if (coef is not null) theta[..weights].CopyTo(new Span<double>(coef, weights));
        if (intercept is not null) theta[weights..].CopyTo(new Span<double>(intercept, m.Classes));
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_from_coefficients")]
    public static int FromCoefficients(double* coef, double* intercept, int classes, int features, nint* output) => Errors.Run(() =>
    {
        Exports.Clear(output);
        if (classes < 1 || features < 1) throw new ArgumentException($"n_classes ({classes}) and n_features ({features}) must be at least 1.");
        if (coef is null || intercept is null) throw new ArgumentException("coef or intercept is NULL.");
        int weights = classes * features;
        var theta = new double[weights + classes];
        new ReadOnlySpan<double>(coef, weights).CopyTo(theta);
        new ReadOnlySpan<double>(intercept, classes).CopyTo(theta.AsSpan(weights));
        Exports.Store(output, new SoftmaxModel(theta, NativeProblem.ClassNumbers(classes), features));
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_predict")]
    public static int Predict(nint model, nint problem, int* labels) => Errors.Run(() =>
    {
        var (m, data) = Pair(model, problem, labels);
        Float64Scores.Predict(m, data, new Span<int>(labels, data.Rows));
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_predict_proba")]
    public static int PredictProba(nint model, nint problem, double* proba) => PerClass(model, problem, proba, Float64Scores.Proba);

    [UnmanagedCallersOnly(EntryPoint = "softmax_predict_log_proba")]
    public static int PredictLogProba(nint model, nint problem, double* logProba) =>
        PerClass(model, problem, logProba, Float64Scores.LogProba);

    [UnmanagedCallersOnly(EntryPoint = "softmax_decision_function")]
    public static int DecisionFunction(nint model, nint problem, double* scores) => PerClass(model, problem, scores, Float64Scores.Compute);

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_score")]
    public static int Score(nint model, nint problem, double* accuracy) => Errors.Run(() =>
    {
        var (m, data) = Pair(model, problem, accuracy);
        var predicted = new int[data.Rows];
        Float64Scores.Predict(m, data, predicted);
        var truth = m.MapLabels(data);
        int right = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == truth[i]) right++;
        *accuracy = data.Rows == 0 ? 0 : right / (double)data.Rows;
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_save")]
    public static int Save(nint model, byte* path) => Errors.Run(() =>
        ModelFile.Save(Handles.Get<SoftmaxModel>(model, "model"), Exports.Utf8(path, "path")));

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_load")]
    public static int Load(byte* path, nint* output) => Errors.Run(() =>
    {
        Exports.Clear(output);
        Exports.Store(output, ModelFile.Load(Exports.Utf8(path, "path")));
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_to_bytes")]
    public static int ToBytes(nint model, byte* buffer, nuint capacity, nuint* size) => Errors.Run(() =>
        Exports.CopyOut(ModelFile.Serialize(Handles.Get<SoftmaxModel>(model, "model")), buffer, capacity, size, "The model"));

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_from_bytes")]
    public static int FromBytes(byte* bytes, nuint length, nint* output) => Errors.Run(() =>
    {
        Exports.Clear(output);
        if (bytes is null && length > 0) throw new ArgumentException("bytes is NULL.");
        if (length > int.MaxValue) throw new ArgumentException($"length {length} exceeds the largest model buffer.");
        Exports.Store(output, ModelFile.Deserialize(new ReadOnlySpan<byte>(bytes, (int)length), "<buffer>"));
    });

    [UnmanagedCallersOnly(EntryPoint = "softmax_model_free")]
    public static void Free(nint model) => Handles.Free(model);

    /// <summary>Writes rows × C values of <paramref name="model"/> on <paramref name="problem"/> into <paramref name="output"/>.</summary>
    private static int PerClass(nint model, nint problem, double* output, Action<SoftmaxModel, Dataset, Span<double>> write) => Errors.Run(() =>
    {
        var (m, data) = Pair(model, problem, output);
        write(m, data, new Span<double>(output, data.Rows * m.Classes));
    });

    private static (SoftmaxModel Model, Dataset Data) Pair(nint model, nint problem, void* output)
    {
        var m = Handles.Get<SoftmaxModel>(model, "model");
        var data = Handles.Get<Dataset>(problem, "problem");
        if (output is null) throw new ArgumentException("The output buffer is NULL.");
        if (data.FeatureCount != m.Features)
            throw new ArgumentException($"X has {data.FeatureCount} features, but the model expects {m.Features}.");
        return (m, data);
    }
}

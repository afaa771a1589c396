using System.Runtime.InteropServices;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Native;

/// <summary>softmax_options, field for field (sequential layout = the C compiler's natural layout on x86-64).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeOptions
{
    public uint Size;
    public int Solver;
    public double L2;
    public double L1;
    public double Tol;
    public int MaxIter;
    public int Epochs;
    public double Lr;
    public int BatchSize;
    public double Momentum;
    public int Seed;
    public int Threads;
    public int Precision;
    public int Preprocess;
    public double PreprocessScale;
    public double* ClassWeights;
    public int ClassWeightCount;
    public int Balanced;

    /// <summary>The defaults softmax_options_init writes: those of <see cref="TrainingOptions"/>, with no preprocessing.</summary>
    public static NativeOptions Defaults()
    {
        var t = new TrainingOptions();
        return new NativeOptions
        {
            Size = (uint)sizeof(NativeOptions),
            Solver = (int)t.Solver,
            L2 = t.L2,
            L1 = t.L1,
            Tol = t.Lbfgs.GradientTolerance,
            MaxIter = t.Lbfgs.MaxIterations,
            Epochs = t.MiniBatch.Epochs,
            Lr = t.MiniBatch.LearningRate,
            BatchSize = t.MiniBatch.BatchSize,
            Momentum = t.Momentum,
            Seed = t.Seed,
            Threads = t.Engine.Threads,
            Precision = (int)t.Precision,
            Preprocess = (int)PreprocessKind.None,
        };
    }

    /// <summary>Reads a caller's struct of <c>size</c> bytes: fields beyond it keep their defaults.</summary>
    public static NativeOptions Read(NativeOptions* options)
    {
        var result = Defaults();
        if (options is null) return result;
        uint size = options->Size;
        if (size < sizeof(uint)) throw new ArgumentException($"softmax_options.size is {size}; call softmax_options_init first.");
        uint copy = Math.Min(size, (uint)sizeof(NativeOptions));
        Buffer.MemoryCopy(options, &result, sizeof(NativeOptions), copy);
        result.Size = (uint)sizeof(NativeOptions);
        return result;
    }

    /// <summary>The library's options for these values (checked by <see cref="TrainingOptions.Validate"/>).</summary>
    public readonly TrainingOptions ToTrainingOptions(Dataset data)
    {
        int classes = data.ClassCount;
        if (Solver is < 0 or > (int)SolverKind.Adam) throw new ArgumentException($"solver {Solver} is not one of 0 (lbfgs), 1 (sgd), 2 (adam).");
        if (Precision is < 0 or > (int)Engine.Precision.Float64) throw new ArgumentException($"precision {Precision} is not one of 0 (auto), 1 (float32), 2 (float64).");
        if (Preprocess is < 0 or > (int)PreprocessKind.Standardize) throw new ArgumentException($"preprocess {Preprocess} is not one of 0 (none), 1 (scale), 2 (center), 3 (standardize).");
        if (!(Tol >= 0)) throw new ArgumentException($"tol must be >= 0, not {Tol}.");
        if (!(PreprocessScale >= 0) || !double.IsFinite(PreprocessScale)) throw new ArgumentException($"preprocess_scale must be finite and >= 0, not {PreprocessScale}.");
        var defaults = new TrainingOptions();
        return new TrainingOptions
        {
            Solver = (SolverKind)Solver,
            L2 = L2,
            L1 = L1,
            ClassWeights = ReadClassWeights(classes),
            BalancedClassWeights = Balanced != 0,
            Preprocess = (PreprocessKind)Preprocess,
            PreprocessScale = PreprocessScale == 0 ? null : (float)PreprocessScale,
            Seed = Seed,
            Precision = (Engine.Precision)Precision,
            Engine = defaults.Engine with { Threads = Threads },
            Lbfgs = defaults.Lbfgs with { MaxIterations = MaxIter, GradientTolerance = Tol },
            MiniBatch = defaults.MiniBatch with { Epochs = Epochs, LearningRate = Lr, BatchSize = BatchSize, Seed = Seed },
            Momentum = Momentum,
        }.Validate();
    }

    private readonly double[]? ReadClassWeights(int classes)
    {
        if (ClassWeights is null)
        {
            if (ClassWeightCount != 0) throw new ArgumentException($"n_class_weights is {ClassWeightCount} but class_weights is NULL.");
            return null;
        }
        if (ClassWeightCount != classes) throw new ArgumentException($"{ClassWeightCount} class weights for {classes} classes.");
        var weights = new ReadOnlySpan<double>(ClassWeights, classes).ToArray();
        for (int c = 0; c < weights.Length; c++)
            if (!(weights[c] >= 0) || !double.IsFinite(weights[c])) throw new ArgumentException($"class_weights[{c}] is {weights[c]}; class weights must be finite and >= 0.");
        return weights;
    }
}

/// <summary>softmax_progress.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeProgress
{
    public int Iteration;
    public int Epoch;
    public double Loss;
    public double GradientNorm;
    public double ElapsedSeconds;
}

/// <summary>softmax_training_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeTrainingInfo
{
    public int Iterations;
    public int Epochs;
    public double Objective;
    public double Seconds;
    public int StopReason;
}

/// <summary>
/// Forwards each report to the C callback on the training thread (synchronously, unlike <see cref="Progress{T}"/>)
/// and turns a nonzero return into a cancellation.
/// </summary>
internal sealed unsafe class CallbackProgress(delegate* unmanaged<NativeProgress*, void*, int> callback, void* userData,
    CancellationTokenSource cancel) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        var p = new NativeProgress
        {
            Iteration = value.Iteration,
            Epoch = value.Epoch > 0 ? value.Epoch : value.Evaluations,   // softmax.h: passes over the rows (L-BFGS: evaluations)
            Loss = value.Loss,
            GradientNorm = value.GradientNorm,
            ElapsedSeconds = value.Elapsed.TotalSeconds,
        };
        if (callback(&p, userData) != 0) cancel.Cancel();
    }
}

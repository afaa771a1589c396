using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;

namespace Softmax.Bench;

/// <summary>
/// BenchmarkDotNet settings for the kernels: in-process (no generated project to build), a short job, memory
/// diagnoser on, so `micro` runs in a minute or two per class on this machine.
/// </summary>
public sealed class MicroConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public MicroConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3).WithIterationCount(15));
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
    }
}

/// <summary>One full-batch F and gradient per shape (the kernel behind every solver).</summary>
[Config(typeof(MicroConfig))]
public class ValueAndGradientBenchmarks
{
    private SoftmaxObjective _objective = null!;
    private double[] _theta = [];
    private double[] _gradient = [];

    /// <summary>Workload: fashion-u8, fashion-f32, cifar-u8, many-classes (100000×512, C=1000).</summary>
    [Params("fashion-u8", "fashion-f32", "cifar-u8")]
    public string Shape { get; set; } = "fashion-u8";

    /// <summary>Engine threads; 0 means all cores.</summary>
    [Params(0)]
    public int Threads { get; set; }

    /// <summary>Builds the data and the objective once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Dataset data = Shape switch
        {
            "fashion-u8" => Workloads.Scaled(Workloads.FashionMnistBytes().Train),
            "fashion-f32" => Workloads.Float32(Workloads.FashionMnistBytes().Train),
            "cifar-u8" => Workloads.CifarShapeBytes(),
            "many-classes" => Workloads.ManyClasses(),
            _ => throw new ArgumentException($"unknown shape {Shape}"),
        };
        _objective = new SoftmaxObjective(new CpuSoftmaxLoss(data, new CpuEngineOptions(Threads: Threads)), 1e-4);
        _theta = Workloads.RandomTheta(_objective.Dimension);
        _gradient = new double[_objective.Dimension];
    }

    /// <summary>F and ∇F over all rows.</summary>
    [Benchmark]
    public double ValueAndGradient() => _objective.ValueAndGradient(_theta, _gradient);
}

/// <summary>Prediction: a batch of 10000 Fashion-MNIST test rows, and one raw row.</summary>
[Config(typeof(MicroConfig))]
public class PredictBenchmarks
{
    private SoftmaxModel _model = null!;
    private Dataset _test = null!;
    private float[] _row = [];

    /// <summary>Fits a model with a few L-BFGS iterations (the weights' values do not change the cost).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (train, test) = Workloads.FashionMnistBytes();
        _model = SoftmaxTrainer.Fit(train, new TrainingOptions
        {
            L2 = 1e-4, Lbfgs = new Softmax.Optimization.LbfgsOptions { MaxIterations = 5 },
        }).Model;
        _test = test;
        _row = new float[test.FeatureCount];
        test.Features.CopyRow(0, _row);
    }

    /// <summary>10000 rows.</summary>
    [Benchmark]
    public int[] PredictBatch() => _model.Predict(_test);

    /// <summary>One raw row (float pixels 0..255).</summary>
    [Benchmark]
    public int PredictSingleRow() => _model.Predict(_row);
}

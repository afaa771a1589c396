using Softmax.Data;
using Softmax.Model;
using static Softmax.Tests.Engine.TestProblems;

namespace Softmax.Tests.Model;

public static class ModelFixtures
{
    public static readonly string[] Labels = ["cat", "dög", "🐟", "z"];

    /// <summary>300 rows of 12 features (a 3 × 4 image), 4 classes with non-ASCII names.</summary>
    public static Dataset Data(int rows = 300, int seed = 3)
    {
        var d = Separable(rows, 12, 4, seed);
        var x = d.Features.ToDense();
        // Shift and scale the raw features so standardisation has work to do.
        for (int i = 0; i < rows; i++)
        {
            var r = x.Row(i);
            for (int j = 0; j < 12; j++) r[j] = r[j] * (1 + j) + 3 * j;
        }
        return new Dataset(x, d.Labels, Labels, image: new ImageShape(3, 4, 1), name: "fixture");
    }

    /// <summary>A model trained with standardisation (mean and inverse deviation saved) and training info.</summary>
    public static SoftmaxModel Trained() => SoftmaxTrainer.Fit(Data(), new TrainingOptions
    {
        Preprocess = PreprocessKind.Standardize,
        L2 = 1e-2,
        Seed = 5,
        Engine = new Softmax.Engine.CpuEngineOptions(1),
    }).Model;

    /// <summary>A tiny model (C = 3, D = 4) for byte-level file tests.</summary>
    public static SoftmaxModel Tiny()
    {
        var theta = Enumerable.Range(0, 15).Select(i => Math.Sin(i + 1) * 3).ToArray();
        return new SoftmaxModel(theta, ["a", "b", "c"], 4, new Preprocessor(PreprocessKind.Center, 0.5f, [1, 2, 3, 4]),
            new ImageShape(2, 2), new TrainingInfo { Solver = "sgd", L2 = 1e-3, Objective = 0.25, Rows = 10, Settings = new Dictionary<string, string> { ["k"] = "v" } });
    }
}

using Softmax.Data;

namespace Softmax.Engine;

/// <summary>Per-row weights s_j: the dataset's sample weight (default 1) times an optional class weight.</summary>
public static class SampleWeights
{
    /// <summary>
    /// scikit-learn's "balanced" class weights: n_samples / (n_classes · count_c). A class with no rows gets 0.
    /// </summary>
    public static double[] Balanced(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Balanced(data.ClassCounts().Select(n => (double)n).ToArray());
    }

    /// <summary>
    /// scikit-learn's "balanced" weights from the rows of each class (over all workers): n / (C · n_c), 0 for a class
    /// without rows.
    /// </summary>
    public static double[] Balanced(IReadOnlyList<double> classCounts)
    {
        ArgumentNullException.ThrowIfNull(classCounts);
        double rows = 0;
        foreach (double n in classCounts) rows += n;
        var w = new double[classCounts.Count];
        for (int c = 0; c < w.Length; c++) w[c] = classCounts[c] == 0 ? 0 : rows / (w.Length * classCounts[c]);
        return w;
    }

    /// <summary>True when every row weighs 1: no sample weights and no class weights (the engines then keep no per-row array).</summary>
    internal static bool AreUniform(Dataset data, IReadOnlyList<double>? classWeights) => data.SampleWeights is null && classWeights is null;

    /// <summary>s_j for every row, in float64.</summary>
    public static double[] Combine(Dataset data, IReadOnlyList<double>? classWeights)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (classWeights is not null && classWeights.Count != data.ClassCount)
            throw new ArgumentException($"{classWeights.Count} class weights for {data.ClassCount} classes.", nameof(classWeights));
        var s = new double[data.Rows];
        for (int j = 0; j < s.Length; j++)
        {
            double w = data.SampleWeights?[j] ?? 1.0;
            if (classWeights is not null) w *= classWeights[data.Labels[j]];
            if (!(w >= 0) || !double.IsFinite(w)) throw new ArgumentException($"Weight of row {j} is {w}; weights must be finite and non-negative.");
            s[j] = w;
        }
        return s;
    }
}

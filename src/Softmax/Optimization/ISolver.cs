using Softmax.Engine;

namespace Softmax.Optimization;

/// <summary>A minimiser of <see cref="SoftmaxObjective"/>. Implementations are small and stateless between calls.</summary>
public interface ISolver
{
    /// <summary>Short name for reports ("lbfgs", "sgd", "adam").</summary>
    string Name { get; }

    /// <summary>Minimises F starting from <paramref name="theta0"/> (not modified).</summary>
    SolverResult Minimize(SoftmaxObjective objective, double[] theta0, SolverContext context);
}

using Softmax.Data;
using Softmax.Model;

namespace Softmax.Cli.Infrastructure;

/// <summary>
/// The accepted parameters of a run, step by step (each a copy taken through
/// <see cref="Softmax.Optimization.TrainingProgress.CurrentParameters"/>), for the accuracy curve. Memory stays
/// bounded: past <see cref="MaxPoints"/> points every other one is dropped and only every second step is kept from
/// then on, so a long L-BFGS run keeps an evenly spaced trail of at most <see cref="MaxPoints"/> parameter vectors.
/// The curve is scored after training, on the rows the trainer says it fitted (<see cref="TrainingResult.Train"/>).
/// </summary>
public sealed class ParameterTrail
{
    /// <summary>Most parameter vectors kept.</summary>
    public const int MaxPoints = 128;

    private readonly List<(int Step, double[] Theta)> _points = [];
    private int _stride = 1;

    /// <summary>The kept (step, θ) pairs, in order.</summary>
    public IReadOnlyList<(int Step, double[] Theta)> Points => _points;

    /// <summary>Keeps a copy of the parameters of <paramref name="step"/> when the current spacing keeps that step.</summary>
    public void Offer(int step, Func<double[]> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (step % _stride != 0 || (_points.Count > 0 && _points[^1].Step == step)) return;
        _points.Add((step, current()));
        if (_points.Count <= MaxPoints) return;
        _stride *= 2;
        _points.RemoveAll(p => p.Step % _stride != 0);
    }

    /// <summary>
    /// The train accuracy of every kept θ on <paramref name="train"/> (raw rows, preprocessed once here with the
    /// model's fitted <paramref name="preprocessor"/>), after the points <paramref name="earlier"/> already has.
    /// </summary>
    public List<CurvePoint> Curve(Dataset train, Preprocessor preprocessor, IReadOnlyList<CurvePoint> earlier)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(preprocessor);
        var curve = new List<CurvePoint>(earlier);
        if (_points.Count == 0 || train.Rows == 0) return curve;
        var x = preprocessor.Apply(train);
        foreach (var (step, theta) in _points)
        {
            if (curve.Any(c => c.Epoch == step)) continue;
            var model = new SoftmaxModel(theta, train.ClassNames, train.FeatureCount);
            // Train accuracy only: the test set is never scored per epoch (validation is the curve to choose by).
            curve.Add(new CurvePoint(step, Scoring.Accuracy(model, x), double.NaN));
        }
        return curve;
    }
}

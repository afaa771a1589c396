using Softmax.Model;

namespace Softmax.Cli.Output;

/// <summary>The largest weights of each class by feature name (in preprocessed units: standardized features compare directly).</summary>
public static class Coefficients
{
    /// <summary>Per class, the <paramref name="count"/> weights of largest magnitude, largest first (ties: lower feature first).</summary>
    public static IReadOnlyList<(string Class, IReadOnlyList<(string Feature, double Weight)> Top)> Largest(SoftmaxModel model, int count = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = model.Schema.FeatureNames;
        return Enumerable.Range(0, model.Classes).Select(c =>
        {
            var w = model.WeightRow(c).ToArray();
            return (model.ClassNames[c], (IReadOnlyList<(string, double)>)Enumerable.Range(0, w.Length)
                .OrderByDescending(d => Math.Abs(w[d])).ThenBy(d => d).Take(count).Select(d => (names[d], w[d])).ToArray());
        }).ToList();
    }

    /// <summary>One line per class: <c>name +1.234, other −0.5, …</c>.</summary>
    public static IEnumerable<(string Class, string Text)> Lines(SoftmaxModel model, int count = 5) =>
        Largest(model, count).Select(p => (p.Class, string.Join(", ", p.Top.Select(t => $"{Softmax.Data.DisplayText.Of(t.Feature)} {Ui.F(t.Weight, "+0.###;−0.###")}"))));
}

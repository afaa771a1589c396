using Softmax.Data;
using Softmax.Optimization;

namespace Softmax.Model;

/// <summary>How one fold's model scored on its held-out rows.</summary>
/// <param name="Fold">0-based fold index.</param>
/// <param name="Accuracy">Accuracy on the fold's held-out rows (NaN when the fold diverged).</param>
/// <param name="LogLoss">Mean cross-entropy on them (NaN when the fold diverged).</param>
/// <param name="Objective">F on the fold's training rows.</param>
/// <param name="Diverged">Why the fold's run diverged (see <see cref="TrainingHealth"/>), or null.</param>
public sealed record FoldScore(int Fold, double Accuracy, double LogLoss, double Objective, string? Diverged)
{
    /// <summary>The fold's recorded training curve (the solver's history).</summary>
    public IReadOnlyList<HistoryEntry> History { get; init; } = [];
}

/// <summary>The folds of one cross-validated setting, with their mean and (sample) standard deviation.</summary>
public sealed record CrossValidationResult(IReadOnlyList<FoldScore> Folds)
{
    /// <summary>True when any fold diverged.</summary>
    public bool Diverged => Folds.Any(f => f.Diverged is not null);
    /// <summary>Mean held-out accuracy.</summary>
    public double MeanAccuracy => Folds.Average(f => f.Accuracy);
    /// <summary>Sample standard deviation of the held-out accuracy (0 for one fold).</summary>
    public double StdAccuracy => Std(Folds.Select(f => f.Accuracy));
    /// <summary>Mean held-out log-loss.</summary>
    public double MeanLogLoss => Folds.Average(f => f.LogLoss);
    /// <summary>Sample standard deviation of the held-out log-loss.</summary>
    public double StdLogLoss => Std(Folds.Select(f => f.LogLoss));

    private static double Std(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length < 2) return 0;
        double m = v.Average();
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
    }
}

/// <summary>
/// Stratified k-fold cross-validation: every class is dealt round-robin over the folds after a seeded shuffle, so each
/// fold holds about 1/k of every class; each fold is held out once while the others train (scikit-learn's
/// <c>StratifiedKFold(shuffle=True)</c>). The preprocessing is fitted on each fold's training rows only.
/// </summary>
public static class CrossValidation
{
    /// <summary>The fold (0..k−1) of each row of <paramref name="data"/>.</summary>
    public static int[] StratifiedFolds(Dataset data, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), "Cross-validation needs at least 2 folds.");
        if (folds > data.Rows) throw new ArgumentOutOfRangeException(nameof(folds), $"{folds} folds need at least {folds} rows; the data have {data.Rows}.");
        var rng = new Random(seed);
        var fold = new int[data.Rows];
        int next = 0;
        for (int c = 0; c < data.ClassCount; c++)
        {
            var members = Enumerable.Range(0, data.Rows).Where(i => data.Labels[i] == c).ToArray();
            rng.Shuffle(members);
            // Continue the round-robin across classes so small classes do not all land in fold 0.
            foreach (int i in members) fold[i] = next++ % folds;
        }
        return fold;
    }

    /// <summary>
    /// Trains <paramref name="options"/> on each fold's training rows and scores its held-out rows. The options'
    /// validation fraction is ignored (the held-out fold is the validation set). Never prints.
    /// </summary>
    public static CrossValidationResult Run(Dataset data, TrainingOptions options, int folds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var assignment = StratifiedFolds(data, folds, options.Seed);
        var foldOptions = (options with { ValidationFraction = 0, Patience = 0 }).Validate();
        var scores = new List<FoldScore>();
        for (int f = 0; f < folds; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var train = data.Take(Enumerable.Range(0, data.Rows).Where(i => assignment[i] != f).ToArray());
            var holdout = data.Take(Enumerable.Range(0, data.Rows).Where(i => assignment[i] == f).ToArray());
            try
            {
                var r = SoftmaxTrainer.Fit(train, foldOptions, null, cancellationToken);
                string? diverged = TrainingHealth.Diverged(r);
                var score = SoftmaxTrainer.Score(r.Model, holdout, options.Engine);
                scores.Add(new FoldScore(f, diverged is null ? score.Accuracy : double.NaN, diverged is null ? score.Loss : double.NaN, r.Objective, diverged)
                {
                    History = r.Solver.History,
                });
            }
            catch (TrainingDivergedException e)
            {
                scores.Add(new FoldScore(f, double.NaN, double.NaN, double.NaN, e.Message));
            }
        }
        return new CrossValidationResult(scores);
    }
}

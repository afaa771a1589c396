namespace Softmax.Cli.Infrastructure;

/// <summary>"Did you mean …?" for commands, flags, enum values and dataset names: the closest candidate by edit distance.</summary>
public static class Suggest
{
    // Names people try from other tools, mapped to this tool's flag.
    private static readonly Dictionary<string, string> s_synonyms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--learning-rate"] = "--lr", ["--learning_rate"] = "--lr", ["--eta"] = "--lr", ["--alpha"] = "--l2",
        ["--lambda"] = "--l2", ["--reg"] = "--l2", ["--weight-decay"] = "--l2", ["--iterations"] = "--max-iter",
        ["--iters"] = "--max-iter", ["--num-epochs"] = "--epochs", ["--batch"] = "--batch-size", ["--batchsize"] = "--batch-size",
        ["--output"] = "--model", ["--out"] = "--model", ["--dataset"] = "--data", ["--train"] = "--data",
    };

    /// <summary>The candidate closest to <paramref name="typed"/>, or null when none is close enough to be a typo.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        var list = candidates.Distinct(StringComparer.Ordinal).ToList();
        if (s_synonyms.TryGetValue(typed, out var synonym) && list.Contains(synonym)) return synonym;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in list)
        {
            int d = Distance(typed.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        string core = typed.TrimStart('-');
        int allowed = Math.Max(1, Math.Min(3, core.Length / 3));
        if (best is not null && bestDistance <= allowed) return best;
        // A prefix of exactly one candidate ("--val" for "--validation-fraction") is also a likely meaning.
        var prefixed = core.Length >= 3 ? list.Where(c => c.TrimStart('-').StartsWith(core, StringComparison.OrdinalIgnoreCase)).ToList() : [];
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    /// <summary>" (did you mean 'x'?)" or "".</summary>
    public static string Hint(string typed, IEnumerable<string> candidates) =>
        Closest(typed, candidates) is { } c ? $" Did you mean '{c}'?" : "";

    /// <summary>Levenshtein distance with transpositions counted as one edit.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}

using System.Globalization;

namespace Softmax.Data;

/// <summary>
/// Maps raw label strings to class indices: numbers sorted numerically ("2" before "10"), otherwise ordinal order.
/// Labels are collected with provisional ids in first-seen order, then renumbered once at the end.
/// </summary>
internal sealed class LabelMap
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly List<string> _names = [];

    public LabelMap() => _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _names.Count;

    /// <summary>The provisional id of a label, adding it when new.</summary>
    public int Add(ReadOnlySpan<char> label)
    {
        if (_lookup.TryGetValue(label, out int id)) return id;
        string name = label.ToString();
        id = _names.Count;
        _ids.Add(name, id);
        _names.Add(name);
        return id;
    }

    /// <summary>Renumbers <paramref name="labels"/> in place into sorted class order and returns the class names.</summary>
    public string[] Finish(int[] labels)
    {
        var names = _names.ToArray();
        var order = Enumerable.Range(0, names.Length).ToArray();
        var values = new double[names.Length];
        if (names.Select((n, i) => double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
            Array.Sort(order, (a, b) => values[a] != values[b] ? values[a].CompareTo(values[b]) : string.CompareOrdinal(names[a], names[b]));
        else Array.Sort(order, (a, b) => string.CompareOrdinal(names[a], names[b]));
        var rank = new int[names.Length];
        for (int i = 0; i < order.Length; i++) rank[order[i]] = i;
        for (int i = 0; i < labels.Length; i++) labels[i] = rank[labels[i]];
        return order.Select(i => names[i]).ToArray();
    }
}

using System.Globalization;

namespace Softmax.Distributed.Host;

/// <summary>Positional arguments and --name value / --flag options, parsed with the invariant culture.</summary>
internal sealed class HostArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    public HostArguments(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string a = e.Current;
            if (!a.StartsWith("--", StringComparison.Ordinal)) { Positional.Add(a); continue; }
            if (flags.Contains(a)) { _options[a] = null; continue; }
            if (!e.MoveNext()) throw new ArgumentException($"{a} needs a value.");
            _options[a] = e.Current;
        }
    }

    public List<string> Positional { get; } = [];

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Text(string name) => _options.GetValueOrDefault(name);

    public double Number(string name, double fallback) =>
        _options.TryGetValue(name, out var v) && v is not null ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public long Integer(string name, long fallback) =>
        _options.TryGetValue(name, out var v) && v is not null ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
}

using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Softmax.Packaging.Tests;

/// <summary>
/// Turns a compiler XML documentation file into Markdown: one page per namespace (types, then their members with
/// the summary, parameters and return value) and an index. Deterministic: sorted by name, no dates.
/// </summary>
public static class ApiDocs
{
    /// <summary>Pages for the public types of <paramref name="assembly"/> (the XML file also documents internals).</summary>
    public static SortedDictionary<string, string> Generate(string xmlPath, Assembly assembly)
    {
        string assemblyName = assembly.GetName().Name!;
        var exported = assembly.GetExportedTypes().ToDictionary(t => t.FullName!.Replace('+', '.'), StringComparer.Ordinal);
        var members = XDocument.Load(xmlPath).Root!.Element("members")!.Elements("member")
            .Select(m => (Id: m.Attribute("name")!.Value, Element: m))
            .Where(m => m.Id.StartsWith("T:") ? exported.ContainsKey(m.Id[2..]) : IsVisible(m.Id, exported))
            .OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        var types = members.Where(m => m.Id.StartsWith("T:")).Select(m => m.Id[2..]).ToList();
        string Namespace(string type) => exported[type].Namespace ?? "";
        var pages = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var index = new StringBuilder($"# {assemblyName} API reference\n\nGenerated from the XML documentation by tests/Softmax.Packaging.Tests (ApiDocsTests); do not edit by hand.\n\n");
        foreach (var ns in types.Select(Namespace).Distinct().Order(StringComparer.Ordinal))
        {
            var page = new StringBuilder($"# Namespace {ns}\n\n[Index](README.md)\n");
            index.Append($"## [{ns}]({ns}.md)\n\n");
            foreach (var type in types.Where(t => Namespace(t) == ns))
            {
                var typeDoc = members.First(m => m.Id == "T:" + type).Element;
                string shortName = type[(ns.Length + 1)..];
                index.Append($"- [{shortName}]({ns}.md#{Anchor(shortName)}): {OneLine(Summary(typeDoc))}\n");
                page.Append($"\n## {shortName}\n\n{Body(typeDoc)}\n");
                foreach (var (id, element) in members.Where(m => !m.Id.StartsWith("T:") && Owner(m.Id) == type))
                    page.Append($"\n### {MemberTitle(id, type)}\n\n{Body(element)}\n");
            }
            index.Append('\n');
            pages[$"{ns}.md"] = page.ToString();
        }
        pages["README.md"] = index.ToString();
        return pages;
    }

    /// <summary>A member documented in the XML is listed when its type is public and a public or protected member has its name.</summary>
    private static bool IsVisible(string id, Dictionary<string, Type> exported)
    {
        if (!exported.TryGetValue(Owner(id), out var type)) return false;
        string name = id[(2 + Owner(id).Length + 1)..];
        int cut = name.IndexOfAny(['(', '`']);
        if (cut >= 0) name = name[..cut];
        name = name.Replace('#', '.');
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return type.GetMember(name, all).Any(m => m switch
        {
            MethodBase b => b.IsPublic || b.IsFamily || b.IsFamilyOrAssembly,
            FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
            PropertyInfo p => (p.GetMethod ?? p.SetMethod) is { } a && (a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
            EventInfo e => e.AddMethod is { } a && (a.IsPublic || a.IsFamily),
            Type t => t.IsNestedPublic || t.IsNestedFamily,
            _ => false,
        });
    }

    private static string Owner(string id)
    {
        string name = id[2..];
        int paren = name.IndexOf('(');
        if (paren >= 0) name = name[..paren];
        return name[..name.LastIndexOf('.')];
    }

    private static string MemberTitle(string id, string type)
    {
        string kind = id[0] switch { 'M' => "method", 'P' => "property", 'F' => "field", 'E' => "event", _ => "member" };
        string name = id[(2 + type.Length + 1)..].Replace("#ctor", "constructor");
        name = Regex.Replace(name, @"\b(System|Softmax)(\.[A-Za-z]+)*\.", "");
        name = name.Replace('{', '<').Replace('}', '>');
        return $"`{name}` ({kind})";
    }

    private static string Anchor(string heading) => Regex.Replace(heading.ToLowerInvariant(), @"[^a-z0-9 _-]", "").Replace(' ', '-');

    private static string Summary(XElement e) => Text(e.Element("summary"));

    private static string OneLine(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    private static string Body(XElement e)
    {
        var sb = new StringBuilder(Text(e.Element("summary")));
        var parameters = e.Elements("param").Concat(e.Elements("typeparam")).ToList();
        if (parameters.Count > 0)
        {
            sb.Append("\n\n");
            foreach (var p in parameters) sb.Append($"- `{p.Attribute("name")?.Value}`: {OneLine(Text(p))}\n");
        }
        if (e.Element("returns") is { } r) sb.Append($"\n\nReturns: {OneLine(Text(r))}");
        if (e.Element("inheritdoc") is not null && sb.Length == 0) sb.Append("(Documented on the base member.)");
        return sb.ToString().TrimEnd();
    }

    private static string Text(XElement? e)
    {
        if (e is null) return "";
        var sb = new StringBuilder();
        foreach (var node in e.Nodes())
        {
            switch (node)
            {
                case XText t: sb.Append(t.Value); break;
                case XElement x when x.Name == "see" || x.Name == "seealso":
                    string target = x.Attribute("cref")?.Value ?? x.Attribute("langword")?.Value ?? x.Attribute("href")?.Value ?? "";
                    target = Regex.Replace(target, @"^[A-Z]:", "");
                    int paren = target.IndexOf('(');
                    if (paren >= 0) target = target[..paren];
                    sb.Append('`').Append(x.Value.Length > 0 ? x.Value : target.Split('.').Last().Replace('{', '<').Replace('}', '>')).Append('`');
                    break;
                case XElement x when x.Name == "paramref" || x.Name == "typeparamref": sb.Append('`').Append(x.Attribute("name")?.Value).Append('`'); break;
                case XElement x when x.Name == "c": sb.Append('`').Append(x.Value).Append('`'); break;
                case XElement x when x.Name == "code": sb.Append("\n\n```\n").Append(Dedent(x.Value)).Append("\n```\n\n"); break;
                case XElement x when x.Name == "para": sb.Append("\n\n").Append(Text(x).Trim()).Append("\n\n"); break;
                case XElement x: sb.Append(Text(x)); break;
            }
        }
        // Collapse the XML's indentation, but keep blank lines and code blocks.
        var lines = sb.ToString().Split('\n');
        var output = new StringBuilder();
        bool inCode = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```")) { inCode = !inCode; output.Append(line.Trim()).Append('\n'); continue; }
            output.Append(inCode ? line : line.Trim()).Append('\n');
        }
        return Regex.Replace(Regex.Replace(output.ToString(), @"(?<!\n)\n(?!\n|```)", " "), @"\n{3,}", "\n\n").Trim();
    }

    private static string Dedent(string code)
    {
        var lines = code.Split('\n').Select(l => l.TrimEnd()).SkipWhile(l => l.Length == 0).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }
}

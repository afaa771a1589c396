namespace Softmax.Packaging.Tests;

/// <summary>
/// docs/api/ must match the library's XML docs. After changing a public doc comment, regenerate with
/// <c>UPDATE_API_DOCS=1 dotnet test tests/Softmax.Packaging.Tests --filter ApiDocsTests</c> and commit docs/api/.
/// </summary>
public sealed class ApiDocsTests
{
    [Fact]
    public void Api_reference_in_docs_is_up_to_date()
    {
        var pages = ApiDocs.Generate(Path.Combine(AppContext.BaseDirectory, "Softmax.xml"), typeof(Softmax.Model.SoftmaxModel).Assembly);
        string dir = Repo.Path("docs", "api");
        if (Environment.GetEnvironmentVariable("UPDATE_API_DOCS") == "1")
        {
            Directory.CreateDirectory(dir);
            foreach (var stale in Directory.GetFiles(dir, "*.md")) File.Delete(stale);
            foreach (var (name, text) in pages) File.WriteAllText(Path.Combine(dir, name), text);
        }
        var stalePages = pages.Where(p => !File.Exists(Path.Combine(dir, p.Key)) || File.ReadAllText(Path.Combine(dir, p.Key)) != p.Value)
            .Select(p => p.Key).ToList();
        var extra = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.md").Select(Path.GetFileName).Where(n => !pages.ContainsKey(n!)).ToList() : [];
        Assert.True(stalePages.Count == 0 && extra.Count == 0,
            $"docs/api is out of date (stale: {string.Join(", ", stalePages)}; extra: {string.Join(", ", extra)}). " +
            "Regenerate: UPDATE_API_DOCS=1 dotnet test tests/Softmax.Packaging.Tests -c Release --filter ApiDocsTests");
        Assert.Contains("## SoftmaxTrainer", pages["Softmax.Model.md"]);
    }
}

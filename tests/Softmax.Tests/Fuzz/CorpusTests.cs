using Softmax.Data;
using Softmax.IO;

namespace Softmax.Tests.Fuzz;

/// <summary>
/// Replays the hostile corpus (tests/Softmax.Tests/corpus): inputs that once crashed, hung or exhausted memory, and
/// any a fuzz run finds. <c>model-*</c> files must be refused by the model loader, <c>data-*</c> files by the data
/// readers, each with the file named and less than 400 MB allocated; <c>*.ok</c> files are controls that must load
/// (they prove the corpus generator's checksums right, so the refusals are for the reason stated).
/// </summary>
public class CorpusTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "corpus");

    /// <summary>Why each original entry is refused; entries added later need only be refused.</summary>
    private static readonly Dictionary<string, string> Reasons = new(StringComparer.Ordinal)
    {
        ["model-forged-header.softmax"] = "class and feature counts need more than",
        ["model-weight-1e300.softmax"] = "invalid model: θ[1] is 1E+300",
        ["model-nan-mean.softmax"] = "invalid model: The preprocessing mean of feature 1 is NaN",
        ["model-negative-classes.softmax"] = "the class count is -5",
        ["data-truncated.csv.gz"] = "the gzip data are truncated or corrupt",
        ["data-no-line-end.csv.gz"] = "a record longer than 64 MiB",
        ["data-open-quote.csv.gz"] = "a record longer than 64 MiB",
        ["data-index-1e8.svm"] = "feature index 100000000 is above the limit",
        ["data-index-2p31.svm"] = "feature index 2147483647 is above the limit",
        ["data-shape-wraps.npy"] = "has more elements than any file can hold",
    };

    public static TheoryData<string> Entries()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)) data.Add(f!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Every_corpus_entry_is_refused_by_name_within_bounded_memory(string name)
    {
        string path = Path.Combine(Folder, name);
        long before = GC.GetAllocatedBytesForCurrentThread();
        if (name.EndsWith(".ok", StringComparison.Ordinal))
        {
            Assert.Equal(2, ModelFile.Load(path).Classes);
            return;
        }
        Exception e = name.StartsWith("model-", StringComparison.Ordinal)
            ? Assert.Throws<ModelFormatException>(() => ModelFile.Load(path))
            : Assert.Throws<DataFormatException>(() => DataLoader.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 400L << 20, $"{name}: allocated {(GC.GetAllocatedBytesForCurrentThread() - before) >> 20} MiB");
        Assert.Contains(path, e.Message);
        if (Reasons.TryGetValue(name, out var reason)) Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void The_corpus_holds_every_original_entry() =>
        Assert.All(Reasons.Keys, name => Assert.True(File.Exists(Path.Combine(Folder, name)), name));
}

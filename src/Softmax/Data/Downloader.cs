using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Softmax.Data;

/// <summary>Datasets the <see cref="Downloader"/> can fetch.</summary>
public enum DatasetName
{
    /// <summary>MNIST handwritten digits.</summary>
    Mnist,
    /// <summary>Zalando's Fashion-MNIST.</summary>
    FashionMnist,
    /// <summary>CIFAR-10 binary version.</summary>
    Cifar10,
}

/// <summary>What a download is doing.</summary>
public enum DownloadStage
{
    /// <summary>Bytes are arriving.</summary>
    Downloading,
    /// <summary>The SHA-256 is being checked.</summary>
    Verifying,
    /// <summary>An archive is being unpacked.</summary>
    Extracting,
    /// <summary>The file is in place (downloaded now or already there).</summary>
    Done,
}

/// <summary>Progress of one file; <see cref="TotalBytes"/> is null when the server does not say.</summary>
public readonly record struct DownloadProgress(string File, DownloadStage Stage, long BytesReceived, long? TotalBytes);

/// <summary>One file of a dataset: where it comes from and its pinned SHA-256 (lowercase hex).</summary>
public sealed record RemoteFile(string Name, Uri Url, string Sha256);

/// <summary>
/// Fetches datasets over HTTPS from their canonical locations, verifies a pinned SHA-256 for every file, resumes
/// partial downloads (HTTP Range onto <c>NAME.part</c>), and renames into place only after verification, so a final
/// name never holds a partial or unverified file. Never prints: progress goes through <see cref="IProgress{T}"/>.
/// </summary>
public static class Downloader
{
    // SHA-256 sums of the canonical files. MNIST: the four IDX files as served by the ossci-datasets mirror that
    // torchvision uses (the same bytes as the original yann.lecun.com files; sums as pinned by torch.rb's
    // TorchVision::Datasets::MNIST and TFDS' url_checksums). Fashion-MNIST: as pinned by torchvision-based
    // projects and TFDS' fashion_mnist checksums. CIFAR-10: TFDS' cifar10 checksum and torch.rb's CIFAR10::SHA256.
    private static readonly (DatasetName Name, string Base, (string File, string Sha256)[] Files)[] Catalog =
    [
        (DatasetName.Mnist, "https://ossci-datasets.s3.amazonaws.com/mnist/",
        [
            ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        ]),
        // The bucket's s3-website endpoint (fashion-mnist.s3-website.eu-central-1.amazonaws.com) serves plain HTTP
        // only; the same bucket's REST endpoint serves the same objects over HTTPS.
        (DatasetName.FashionMnist, "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
        [
            ("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            ("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            ("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            ("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        ]),
        (DatasetName.Cifar10, "https://www.cs.toronto.edu/~kriz/",
        [
            ("cifar-10-binary.tar.gz", "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"),
        ]),
    ];

    /// <summary>The files of a dataset at their canonical URLs (or under <paramref name="baseUri"/>).</summary>
    public static IReadOnlyList<RemoteFile> Files(DatasetName name, Uri? baseUri = null)
    {
        var entry = Catalog.Single(c => c.Name == name);
        var root = baseUri ?? new Uri(entry.Base);
        return entry.Files.Select(f => new RemoteFile(f.File, new Uri(root, f.File), f.Sha256)).ToArray();
    }

    /// <summary>
    /// Downloads every file of <paramref name="name"/> into <paramref name="directory"/> (CIFAR-10 is also unpacked
    /// there, into cifar-10-batches-bin). Files already present with the right hash are kept.
    /// </summary>
    public static Task DownloadAsync(DatasetName name, string directory, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default, Uri? baseUriOverride = null, HttpClient? client = null) =>
        DownloadAsync(Files(name, baseUriOverride), directory, extractTar: name == DatasetName.Cifar10, progress, cancellationToken, client);

    /// <summary>Downloads the given files (tests pass fixtures and their hashes here).</summary>
    internal static async Task DownloadAsync(IReadOnlyList<RemoteFile> files, string directory, bool extractTar,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken, HttpClient? client)
    {
        Directory.CreateDirectory(directory);
        using var own = client is null ? new HttpClient { Timeout = Timeout.InfiniteTimeSpan } : null;
        client ??= own!;
        foreach (var file in files)
        {
            string target = Path.Combine(directory, file.Name);
            if (!File.Exists(target) || !string.Equals(await HashAsync(target, cancellationToken), file.Sha256, StringComparison.OrdinalIgnoreCase))
                await FetchAsync(client, file, target, progress, cancellationToken);
            progress?.Report(new DownloadProgress(file.Name, DownloadStage.Done, new FileInfo(target).Length, new FileInfo(target).Length));
            if (extractTar && file.Name.EndsWith(".tar.gz", StringComparison.Ordinal))
                await ExtractAsync(target, directory, progress, cancellationToken);
        }
    }

    private static async Task FetchAsync(HttpClient client, RemoteFile file, string target, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        string part = target + ".part";
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct))
        {
            // 416 to a range request: the part may already be complete; the hash decides below.
            if (response.StatusCode != HttpStatusCode.RequestedRangeNotSatisfiable || have == 0)
            {
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"{file.Url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
                bool append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
                if (!append) have = 0;
                long? total = response.Content.Headers.ContentLength is { } length ? length + have : null;
                await using var output = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await using var input = await response.Content.ReadAsStreamAsync(ct);
                var buffer = new byte[1 << 16];
                long received = have;
                var lastReport = DateTime.MinValue;
                int n;
                while ((n = await input.ReadAsync(buffer, ct)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), ct);
                    received += n;
                    if (progress is not null && (DateTime.UtcNow - lastReport).TotalMilliseconds >= 100)
                    {
                        lastReport = DateTime.UtcNow;
                        progress.Report(new DownloadProgress(file.Name, DownloadStage.Downloading, received, total));
                    }
                }
                progress?.Report(new DownloadProgress(file.Name, DownloadStage.Downloading, received, total));
            }
        }
        progress?.Report(new DownloadProgress(file.Name, DownloadStage.Verifying, new FileInfo(part).Length, null));
        string actual = await HashAsync(part, ct);
        if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(part);
            throw new InvalidDataException($"{file.Url}: SHA-256 {actual} does not match the pinned {file.Sha256}; the download was discarded.");
        }
        File.Move(part, target, overwrite: true);
    }

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ct));
    }

    /// <summary>Unpacks a verified .tar.gz into a temporary folder, then moves its top-level entries into place.</summary>
    private static async Task ExtractAsync(string archive, string directory, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        string name = Path.GetFileName(archive);
        string staging = Path.Combine(directory, ".extract-" + Guid.NewGuid().ToString("N"));
        progress?.Report(new DownloadProgress(name, DownloadStage.Extracting, 0, null));
        try
        {
            Directory.CreateDirectory(staging);
            await using (var fs = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true))
            await using (var gz = new GZipStream(fs, CompressionMode.Decompress))
                await TarFile.ExtractToDirectoryAsync(gz, staging, overwriteFiles: true, ct);
            foreach (var entry in Directory.EnumerateFileSystemEntries(staging))
            {
                string destination = Path.Combine(directory, Path.GetFileName(entry));
                if (Directory.Exists(entry))
                {
                    if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
                    Directory.Move(entry, destination);
                }
                else File.Move(entry, destination, overwrite: true);
            }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}

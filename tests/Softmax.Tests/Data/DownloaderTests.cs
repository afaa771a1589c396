using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Softmax.Data;

namespace Softmax.Tests.Data;

/// <summary>A tiny HTTP server on 127.0.0.1 serving fixture files, with Range support and an optional slow mode.</summary>
internal sealed class FixtureServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files;
    private readonly CancellationTokenSource _stop = new();

    public FixtureServer(Dictionary<string, byte[]> files)
    {
        _files = files;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUri = new Uri($"http://127.0.0.1:{port}/data/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public Uri BaseUri { get; }
    public bool HonourRange { get; set; } = true;
    public int DelayPerChunkMs { get; set; }
    public ConcurrentQueue<string?> RangeHeaders { get; } = new();
    public int Requests => RangeHeaders.Count;

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(ctx));
        }
    }

    private async Task ServeAsync(HttpListenerContext ctx)
    {
        try
        {
            string name = ctx.Request.Url!.AbsolutePath["/data/".Length..];
            string? range = ctx.Request.Headers["Range"];
            RangeHeaders.Enqueue(range);
            if (!_files.TryGetValue(name, out var body)) { ctx.Response.StatusCode = 404; ctx.Response.Close(); return; }
            int start = 0;
            if (range is not null && HonourRange)
            {
                start = int.Parse(range["bytes=".Length..].TrimEnd('-'));
                if (start >= body.Length) { ctx.Response.StatusCode = 416; ctx.Response.Close(); return; }
                ctx.Response.StatusCode = 206;
                ctx.Response.AddHeader("Content-Range", $"bytes {start}-{body.Length - 1}/{body.Length}");
            }
            ctx.Response.ContentLength64 = body.Length - start;
            for (int at = start; at < body.Length; at += 1024)
            {
                if (DelayPerChunkMs > 0) await Task.Delay(DelayPerChunkMs, _stop.Token);
                await ctx.Response.OutputStream.WriteAsync(body.AsMemory(at, Math.Min(1024, body.Length - at)), _stop.Token);
            }
            ctx.Response.Close();
        }
        catch (Exception)
        {
            try { ctx.Response.Abort(); } catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
    }
}

public class DownloaderTests
{
    private static byte[] Body(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    private sealed class Recorder : IProgress<DownloadProgress>
    {
        public ConcurrentQueue<DownloadProgress> Items { get; } = new();
        public void Report(DownloadProgress value) => Items.Enqueue(value);
    }

    [Fact]
    public async Task DownloadsVerifiesAndReportsProgress()
    {
        var a = Body(50_000, 1);
        var b = Body(3_000, 2);
        using var server = new FixtureServer(new() { ["a.gz"] = a, ["b.gz"] = b });
        using var dir = new TempDir();
        var files = new[] { new RemoteFile("a.gz", new Uri(server.BaseUri, "a.gz"), Sha(a)), new RemoteFile("b.gz", new Uri(server.BaseUri, "b.gz"), Sha(b)) };
        var progress = new Recorder();
        await Downloader.DownloadAsync(files, dir.Path, extractTar: false, progress, CancellationToken.None, client: null);
        Assert.Equal(a, File.ReadAllBytes(dir.File("a.gz")));
        Assert.Equal(b, File.ReadAllBytes(dir.File("b.gz")));
        Assert.False(File.Exists(dir.File("a.gz.part")));
        Assert.Contains(progress.Items, p => p.File == "a.gz" && p.Stage == DownloadStage.Done && p.BytesReceived == a.Length);
        Assert.Contains(progress.Items, p => p.File == "a.gz" && p.Stage == DownloadStage.Downloading && p.BytesReceived == a.Length && p.TotalBytes == a.Length);
        // Second run: files verified in place, nothing fetched.
        int before = server.Requests;
        await Downloader.DownloadAsync(files, dir.Path, extractTar: false, null, CancellationToken.None, client: null);
        Assert.Equal(before, server.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResumesFromPartFile(bool serverHonoursRange)
    {
        var body = Body(40_000, 3);
        using var server = new FixtureServer(new() { ["x.gz"] = body }) { HonourRange = serverHonoursRange };
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.gz.part"), body[..15_000]);
        var files = new[] { new RemoteFile("x.gz", new Uri(server.BaseUri, "x.gz"), Sha(body)) };
        await Downloader.DownloadAsync(files, dir.Path, false, null, CancellationToken.None, null);
        Assert.Equal(body, File.ReadAllBytes(dir.File("x.gz")));
        Assert.False(File.Exists(dir.File("x.gz.part")));
        Assert.True(server.RangeHeaders.TryPeek(out var range));
        Assert.Equal("bytes=15000-", range);
    }

    [Fact]
    public async Task HashMismatchLeavesNoFile()
    {
        var body = Body(10_000, 4);
        using var server = new FixtureServer(new() { ["y.gz"] = body });
        using var dir = new TempDir();
        var files = new[] { new RemoteFile("y.gz", new Uri(server.BaseUri, "y.gz"), new string('0', 64)) };
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Downloader.DownloadAsync(files, dir.Path, false, null, CancellationToken.None, null));
        Assert.Contains("does not match the pinned", e.Message);
        Assert.Contains(Sha(body), e.Message);
        Assert.False(File.Exists(dir.File("y.gz")));
        Assert.False(File.Exists(dir.File("y.gz.part")));
    }

    [Fact]
    public async Task NotFoundIsAnError()
    {
        using var server = new FixtureServer(new());
        using var dir = new TempDir();
        var files = new[] { new RemoteFile("none.gz", new Uri(server.BaseUri, "none.gz"), new string('0', 64)) };
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => Downloader.DownloadAsync(files, dir.Path, false, null, CancellationToken.None, null));
        Assert.Contains("404", e.Message);
        Assert.False(File.Exists(dir.File("none.gz")));
    }

    [Fact]
    public async Task CancellationKeepsOnlyThePart()
    {
        var body = Body(200_000, 5);
        using var server = new FixtureServer(new() { ["slow.gz"] = body }) { DelayPerChunkMs = 5 };
        using var dir = new TempDir();
        var files = new[] { new RemoteFile("slow.gz", new Uri(server.BaseUri, "slow.gz"), Sha(body)) };
        using var cts = new CancellationTokenSource();
        var progress = new Progress<DownloadProgress>(p => { if (p.BytesReceived > 10_000) cts.Cancel(); });
        cts.CancelAfter(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Downloader.DownloadAsync(files, dir.Path, false, progress, cts.Token, null));
        Assert.False(File.Exists(dir.File("slow.gz")));
        Assert.True(File.Exists(dir.File("slow.gz.part")));
        Assert.True(new FileInfo(dir.File("slow.gz.part")).Length < body.Length);
        // Resuming completes the file.
        server.DelayPerChunkMs = 0;
        await Downloader.DownloadAsync(files, dir.Path, false, null, CancellationToken.None, null);
        Assert.Equal(body, File.ReadAllBytes(dir.File("slow.gz")));
    }

    [Fact]
    public async Task Cifar10ArchiveIsExtractedAndReadable()
    {
        var batch = DataFixtures.Cifar([[3], [8]], DataFixtures.Pixels(2 * 3072, 7));
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz))
        {
            foreach (var name in new[] { "data_batch_1.bin", "test_batch.bin" })
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, "cifar-10-batches-bin/" + name) { DataStream = new MemoryStream(batch) };
                tar.WriteEntry(entry);
            }
        }
        var archive = ms.ToArray();
        using var server = new FixtureServer(new() { ["cifar-10-binary.tar.gz"] = archive });
        using var dir = new TempDir();
        var files = new[] { new RemoteFile("cifar-10-binary.tar.gz", new Uri(server.BaseUri, "cifar-10-binary.tar.gz"), Sha(archive)) };
        await Downloader.DownloadAsync(files, dir.Path, extractTar: true, null, CancellationToken.None, null);
        var ds = CifarReader.Read(dir.Path);
        Assert.Equal(new[] { 3, 8 }, ds.Labels);
        Assert.Empty(Directory.EnumerateDirectories(dir.Path, ".extract-*"));
    }

    [Fact]
    public void CatalogPinsEveryFile()
    {
        foreach (var name in Enum.GetValues<DatasetName>())
        {
            var files = Downloader.Files(name);
            Assert.NotEmpty(files);
            foreach (var f in files)
            {
                Assert.Equal("https", f.Url.Scheme);
                Assert.Matches("^[0-9a-f]{64}$", f.Sha256);
            }
            var local = Downloader.Files(name, new Uri("http://127.0.0.1:1/x/"));
            Assert.All(local, f => Assert.StartsWith("http://127.0.0.1:1/x/", f.Url.ToString()));
        }
        Assert.Equal(4, Downloader.Files(DatasetName.Mnist).Count);
        Assert.Equal("https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz", Downloader.Files(DatasetName.Mnist)[0].Url.ToString());
    }

    [Fact]
    public async Task PublicEntryPointUsesBaseOverride()
    {
        var fake = new Dictionary<string, byte[]>();
        foreach (var f in Downloader.Files(DatasetName.Mnist)) fake[f.Name] = [1, 2, 3];
        using var server = new FixtureServer(fake);
        using var dir = new TempDir();
        // The pinned hashes are the real files' sums, so the fake bytes are rejected and nothing lands.
        await Assert.ThrowsAsync<InvalidDataException>(() => Downloader.DownloadAsync(DatasetName.Mnist, dir.Path, baseUriOverride: server.BaseUri));
        Assert.Empty(Directory.EnumerateFiles(dir.Path));
    }
}

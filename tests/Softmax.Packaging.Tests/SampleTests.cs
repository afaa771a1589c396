using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Softmax.Data;
using Softmax.IO;
using Softmax.Model;
using Xunit.Abstractions;

namespace Softmax.Packaging.Tests;

/// <summary>Runs the samples as built with the tests (see the project references): the console workflow and the ASP.NET app.</summary>
public sealed class SampleTests(ITestOutputHelper output)
{
    [Fact]
    public void Course_workflow_checks_the_gradient_trains_sweeps_and_draws()
    {
        using var temp = new TempDir("course");
        string dir = temp.Path;
        var run = Repo.Run("dotnet", [Repo.Output("samples/CourseWorkflow", "CourseWorkflow.dll"), dir], dir, TimeSpan.FromMinutes(2))
            .ShouldSucceed("samples/CourseWorkflow");
        output.WriteLine($"{run.Elapsed.TotalSeconds:F1} s\n{run.Output}");
        double gradError = Number(run.Output, @"gradcheck: \d+ coordinates, max relative error ([0-9.E+-]+)");
        Assert.True(gradError < 1e-7, $"gradcheck error {gradError}");
        Assert.True(Number(run.Output, @"test accuracy ([0-9.]+)") >= 0.9);
        Assert.Matches(@"best learning rate", run.Output);
        var pictures = Directory.GetFiles(dir, "*.png");
        Assert.Equal(11, pictures.Length);
        Assert.Empty(Directory.GetFiles(dir, "*.pgm"));
        // Valid PNGs by an independent reader: Python checks every chunk's CRC and inflates the rows to the declared size.
        const string check = "import sys,struct,zlib\n"
            + "for f in sys.argv[1:]:\n"
            + "    b=open(f,'rb').read(); assert b[:8]==b'\\x89PNG\\r\\n\\x1a\\n', f; i=8; data=b''\n"
            + "    while i<len(b):\n"
            + "        n,=struct.unpack('>I',b[i:i+4]); t=b[i+4:i+8]; d=b[i+8:i+8+n]; c,=struct.unpack('>I',b[i+8+n:i+12+n])\n"
            + "        assert zlib.crc32(t+d)==c, f; i+=12+n\n"
            + "        if t==b'IHDR': w,h=struct.unpack('>II',d[:8])\n"
            + "        if t==b'IDAT': data+=d\n"
            + "    assert h==64 and len(zlib.decompress(data))==h*(1+3*w), f\n"
            + "print('ok', len(sys.argv)-1)\n";
        Repo.Run("/usr/bin/python3", ["-c", check, .. pictures], dir, TimeSpan.FromMinutes(1)).ShouldSucceed("PNG check");
    }

    [Fact]
    public async Task AspNet_sample_loads_a_model_file_and_answers_predict()
    {
        using var temp = new TempDir("aspnet");
        string dir = temp.Path;
        var (train, test) = NamedDatasets.Load("digits");
        var model = SoftmaxTrainer.Fit(train, new TrainingOptions { Preprocess = PreprocessKind.Standardize }).Model;
        string modelPath = Path.Combine(dir, "digits.softmax");
        ModelFile.Save(model, modelPath);
        int port = FreePort();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Repo.Output("samples/AspNetMinimal", "AspNetMinimal.dll"), "--Model", modelPath, "--urls", $"http://127.0.0.1:{port}" })
            info.ArgumentList.Add(a);
        Repo.Quiet(info);
        using var server = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            await WaitUntilUp(http, server, log);

            var row = new float[test.FeatureCount];
            test.Features.CopyRow(0, row);
            var response = await http.PostAsJsonAsync("/predict", new { features = row });
            string body = await response.Content.ReadAsStringAsync();
            output.WriteLine(body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(body);
            Assert.Equal(model.PredictLabel(row), json.RootElement.GetProperty("label").GetString());
            var p = json.RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(10, p.Length);
            Assert.Equal(1.0, p.Sum(), 4);

            var bad = await http.PostAsJsonAsync("/predict", new { features = new float[3] });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("64", await bad.Content.ReadAsStringAsync());
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.WaitForExit(10_000);
        }
    }

    private static async Task WaitUntilUp(HttpClient http, Process server, System.Text.StringBuilder log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited) { lock (log) Assert.Fail($"The sample exited with {server.ExitCode}:\n{log}"); }
            try
            {
                if ((await http.GetAsync("/model")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        lock (log) Assert.Fail($"The sample did not answer within 60 s:\n{log}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Number(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"'{pattern}' not in:\n{text}");
        return double.Parse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}

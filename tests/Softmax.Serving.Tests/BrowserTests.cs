using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Softmax.Serving.Tests;

/// <summary>
/// The page in a real browser: Debian's chromium driven by Node's playwright-core (tests/Softmax.Serving.Tests/browser).
/// Needs `apt-get install chromium nodejs` and `npm ci` in browser/; in CI (CI=true) their absence is a failure,
/// elsewhere the test says what is missing and passes without running.
/// </summary>
public sealed class BrowserTests(ITestOutputHelper output)
{
    private static string BrowserDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "browser", "test.mjs");
            if (File.Exists(candidate)) return Path.GetDirectoryName(candidate)!;
        }
        throw new FileNotFoundException("browser/test.mjs not found above " + AppContext.BaseDirectory);
    }

    [SkippableFact]
    public async Task The_page_draws_uploads_pastes_and_shows_probability_bars()
    {
        string browser = BrowserDirectory();
        string? missing = !File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium (apt-get install -y chromium)"
            : !Directory.Exists(Path.Combine(browser, "node_modules", "playwright-core")) ? $"playwright-core (cd {browser} && npm ci)"
            : null;
        Assert.True(missing is null || Environment.GetEnvironmentVariable("CI") != "true", $"CI must install {missing}.");
        Skip.If(missing is not null, $"{missing} is not installed");

        await using var s = await TestServer.StartAsync();
        int index = Enumerable.Range(0, Models.DigitsTest.Rows).First(i => Models.Digits.Predict(Models.Row(i)) == Models.DigitsTest.Labels[i] && Models.DigitsTest.Labels[i] == 3);
        string screenshot = Path.Combine(AppContext.BaseDirectory, "serve-page.png");
        var start = new ProcessStartInfo("node", ["test.mjs", s.BaseAddress.ToString(), screenshot])
        {
            WorkingDirectory = browser,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ROW"] = string.Join(",", Models.Row(index).Select(v => v.ToString(CultureInfo.InvariantCulture)));
        start.Environment["EXPECTED"] = "3";
        start.Environment["EXPECTED_DRAWN"] = "0";   // the ellipse the script draws
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        Assert.True(process.ExitCode == 0, $"node test.mjs exited with {process.ExitCode}: {await stderr}");
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot should show the page");
    }
}

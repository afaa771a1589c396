using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Softmax.Packaging.Tests;

public sealed class PackageTests(PackagesFixture packages, ITestOutputHelper output) : IClassFixture<PackagesFixture>
{
    [Fact]
    public void Library_package_has_docs_readme_licence_and_symbols()
    {
        output.WriteLine($"pack (library, GPU, CLI; --no-build): {packages.PackTime.TotalSeconds:F1} s");
        using var package = ZipFile.OpenRead(Path.Combine(packages.Feed, $"Softmax.{packages.Version}.nupkg"));
        var names = package.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/Softmax.dll", names);
        Assert.Contains("lib/net10.0/Softmax.xml", names);
        Assert.Contains("PACKAGE.md", names);
        var nuspec = XDocument.Load(package.GetEntry("Softmax.nuspec")!.Open());
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
        Assert.Equal("PACKAGE.md", metadata.Element(ns + "readme")?.Value);

        using var symbols = ZipFile.OpenRead(Path.Combine(packages.Feed, $"Softmax.{packages.Version}.snupkg"));
        Assert.Contains("lib/net10.0/Softmax.pdb", symbols.Entries.Select(e => e.FullName));

        using var gpu = ZipFile.OpenRead(Path.Combine(packages.Feed, $"Softmax.Gpu.{packages.Version}.nupkg"));
        Assert.Contains("lib/net10.0/Softmax.Gpu.dll", gpu.Entries.Select(e => e.FullName));
        Assert.True(File.Exists(Path.Combine(packages.Feed, $"Softmax.Gpu.{packages.Version}.snupkg")));
    }

    [Fact]
    public void Tool_installs_from_the_feed_and_trains_on_digits()
    {
        string tools = Path.Combine(packages.Root, "tools");
        var install = Repo.Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages.Feed, "--version", packages.Version, "Softmax.Cli"],
            packages.Root, TimeSpan.FromMinutes(2)).ShouldSucceed("dotnet tool install");
        output.WriteLine($"tool install: {install.Elapsed.TotalSeconds:F1} s");
        string softmax = Path.Combine(tools, OperatingSystem.IsWindows() ? "softmax.exe" : "softmax");

        var version = Repo.Run(softmax, ["--version"], packages.Root, TimeSpan.FromMinutes(1)).ShouldSucceed("softmax --version");
        // The package gets a one-off version; the assembly inside keeps the build's (e.g. 0.1.0+commit).
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Output.Trim());
        Assert.StartsWith(packages.Version.Split('-')[0], version.Output.Trim());

        string model = Path.Combine(packages.Root, "digits.softmax");
        string plots = Path.Combine(packages.Root, "tool-plots");
        var train = Repo.Run(softmax, ["train", "--quiet", "--data", "digits", "--model", model, "--plots", plots], packages.Root, TimeSpan.FromMinutes(1))
            .ShouldSucceed("softmax train");
        output.WriteLine($"softmax train --quiet: {train.Elapsed.TotalSeconds:F1} s\n{train.Output}");
        Assert.True(new FileInfo(model).Length > 0);
        Assert.True(File.Exists(Path.Combine(plots, "weights.png")), "SkiaSharp's linux-x64 native library is in the package and loads");

        // Only linux-x64 native libraries: the other platforms' SkiaSharp and HarfBuzz builds made the package 79.6 MB.
        string nupkg = Path.Combine(packages.Feed, $"Softmax.Cli.{packages.Version}.nupkg");
        using var package = ZipFile.OpenRead(nupkg);
        var natives = package.Entries.Select(e => e.FullName).Where(n => n.Contains("/native/", StringComparison.Ordinal)).ToArray();
        Assert.Contains(natives, n => n.EndsWith("runtimes/linux-x64/native/libSkiaSharp.so", StringComparison.Ordinal));
        Assert.All(natives, n => Assert.Contains("/runtimes/linux-x64/native/", n));
        long bytes = new FileInfo(nupkg).Length;
        output.WriteLine($"tool package: {bytes} bytes");
        Assert.True(bytes < 12_000_000, $"the tool package is {bytes} bytes (README: about 8.6 MB)");
    }

    [Fact]
    public void Consumer_project_references_the_package_and_trains_on_digits()
    {
        string project = Path.Combine(packages.Root, "consumer");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Softmax" Version="{packages.Version}" />
              </ItemGroup>
            </Project>
            """);
        // The local feed first; the machine's normal sources still serve the package's own dependencies.
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="softmax-local" value="{packages.Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using System.Globalization;
            using Softmax.Data;
            using Softmax.Model;

            var (train, test) = NamedDatasets.Load("digits");
            var result = SoftmaxTrainer.Fit(train, new TrainingOptions { L2 = 1e-4, Preprocess = PreprocessKind.Standardize });
            Console.WriteLine("accuracy=" + result.Model.Score(test).ToString("F4", CultureInfo.InvariantCulture));
            """);
        var run = Repo.Run("dotnet", ["run", "-c", "Release", "--disable-build-servers"], project, TimeSpan.FromMinutes(3)).ShouldSucceed("the consumer project");
        output.WriteLine($"consumer restore + build + run: {run.Elapsed.TotalSeconds:F1} s\n{run.Output}");
        var match = Regex.Match(run.Output, @"accuracy=([0-9.]+)");
        Assert.True(match.Success, run.Output);
        Assert.True(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) >= 0.9, run.Output);
    }
}

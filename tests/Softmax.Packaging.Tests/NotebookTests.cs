using System.Text;
using Xunit.Abstractions;

namespace Softmax.Packaging.Tests;

/// <summary>
/// The notebook's C# cells, compiled and run as one program against the library built with the tests (.NET
/// Interactive is not run here). <c>#r</c> and <c>#!</c> lines are dropped, <c>using</c>s move to the top, a cell's
/// trailing bare expression becomes a <c>display</c> call, and <c>display</c>/<c>HTML</c> print to the console.
/// </summary>
public sealed class NotebookTests(ITestOutputHelper output)
{
    [Fact]
    public void Notebook_cells_compile_and_run()
    {
        var cells = CSharpCells(File.ReadAllText(Repo.Path("samples", "Notebook.dib")));
        Assert.True(cells.Count >= 4, $"{cells.Count} C# cells");
        var usings = new SortedSet<string>(StringComparer.Ordinal);
        var body = new StringBuilder();
        foreach (var cell in cells)
        {
            var lines = cell.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => !l.StartsWith("#r ") && !l.StartsWith("#!")).ToList();
            foreach (var u in lines.Where(l => l.StartsWith("using ") && l.EndsWith(';'))) usings.Add(u);
            lines.RemoveAll(l => l.StartsWith("using ") && l.EndsWith(';'));
            while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
            // A notebook shows a cell's last bare expression: the script prints it.
            if (lines.Count > 0 && !lines[^1].TrimEnd().EndsWith(';') && !lines[^1].TrimEnd().EndsWith('}'))
                lines[^1] = $"display({lines[^1]});";
            // Cells share one scope, as in the notebook.
            body.AppendLine(string.Join('\n', lines));
        }
        body.AppendLine("static object display(object value) { Console.WriteLine(value); return value; }");
        body.AppendLine("static string HTML(string html) => html;");

        using var temp = new TempDir("notebook");
        string dir = temp.Path;
        string library = Path.Combine(AppContext.BaseDirectory, "Softmax.dll");
        File.WriteAllText(Path.Combine(dir, "Notebook.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>disable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="Softmax" HintPath="{library}" />
                <PackageReference Include="System.Numerics.Tensors" Version="10.0.0" />
                <PackageReference Include="System.IO.Hashing" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), string.Join('\n', usings) + "\n" + body);
        var run = Repo.Run("dotnet", ["run", "-c", "Release", "--disable-build-servers"], dir, TimeSpan.FromMinutes(3));
        output.WriteLine($"{run.Elapsed.TotalSeconds:F1} s\n{run.Output}");
        run.ShouldSucceed("the notebook's cells as a program");
        Assert.Contains("max relative error", run.Output);
        Assert.Contains("<svg", run.Output);
    }

    /// <summary>The bodies of the <c>#!csharp</c> cells of a .dib file, in order.</summary>
    private static List<string> CSharpCells(string dib)
    {
        var cells = new List<string>();
        StringBuilder? current = null;
        foreach (var raw in dib.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.StartsWith("#!") && !line.StartsWith("#!/"))
            {
                bool isCellMarker = line is "#!csharp" or "#!c#" or "#!markdown" or "#!meta" or "#!fsharp" or "#!pwsh" or "#!html" or "#!value";
                if (isCellMarker)
                {
                    if (current is not null) cells.Add(current.ToString());
                    current = line is "#!csharp" or "#!c#" ? new StringBuilder() : null;
                    continue;
                }
            }
            current?.AppendLine(line);
        }
        if (current is not null) cells.Add(current.ToString());
        return cells;
    }
}

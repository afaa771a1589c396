namespace Softmax.TestSupport;

/// <summary>The real <c>softmax</c> tool, as the test projects that reference src/Softmax.Cli get it.</summary>
public static class SoftmaxCli
{
    /// <summary>Softmax.Cli.dll, copied next to the tests by the project reference; run it as <c>dotnet Softmax.Cli.dll ...</c>.</summary>
    public static string Dll { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Softmax.Cli.dll");
}

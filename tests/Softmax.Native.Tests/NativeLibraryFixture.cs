using Softmax.Packaging.Tests;

namespace Softmax.Native.Tests;

/// <summary>
/// Publishes libsoftmax ahead of time (NativeAOT, the README's command) once for the test class, into a temporary
/// directory with softmax.h beside it, and builds the C example there with gcc (samples/c/Makefile).
/// </summary>
public sealed class NativeLibraryFixture : IDisposable
{
    public NativeLibraryFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("softmax-native-").FullName;
        Repo.Run("dotnet", ["publish", Repo.Path("src", "Softmax.Native"), "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", Directory],
            Repo.Root, TimeSpan.FromMinutes(6)).ShouldSucceed("dotnet publish src/Softmax.Native");
        Example = Path.Combine(Directory, "train_digits");
        Repo.Run("make", ["-B", "-C", Repo.Path("samples", "c"), $"LIB={Directory}", $"OUT={Example}"], Repo.Root, TimeSpan.FromMinutes(1))
            .ShouldSucceed("make -C samples/c");
    }

    /// <summary>Holds libsoftmax.so, softmax.h and the built example.</summary>
    public string Directory { get; }

    public string Library => Path.Combine(Directory, "libsoftmax.so");

    public string Example { get; }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

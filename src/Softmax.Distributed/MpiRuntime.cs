using System.Reflection;
using System.Runtime.InteropServices;
using MPI;

namespace Softmax.Distributed;

/// <summary>
/// Starts and stops MPI for this process. MPI.NET 1.4.0 was built against MS-MPI and imports <c>msmpi.dll</c>; MS-MPI
/// descends from MPICH and shares its integer-handle ABI, so on Linux those imports are redirected to MPICH's
/// <c>libmpich.so.12</c> (Debian: <c>apt-get install mpich libmpich-dev</c>; launcher <c>mpiexec.mpich</c>).
/// Open MPI does not work: its handles are pointers. See ../shared/probes/mpi.
/// </summary>
public sealed class MpiRuntime : IDisposable
{
    private static int s_resolverSet;
    private readonly MPI.Environment _environment;

    private MpiRuntime(MPI.Environment environment) => _environment = environment;

    /// <summary>The world communicator.</summary>
    public Intracommunicator World { get; } = Communicator.world;

    /// <summary>This process's rank.</summary>
    public int Rank => World.Rank;

    /// <summary>Number of ranks.</summary>
    public int Size => World.Size;

    /// <summary>
    /// Initialises MPI (MPI_Init), with MPI.NET's MS-MPI imports mapped to MPICH. Call once, from the main thread, before
    /// any other MPI use.
    /// </summary>
    public static MpiRuntime Start(ref string[] args)
    {
        // Once per process: the runtime takes one import resolver per assembly.
        if (Interlocked.Exchange(ref s_resolverSet, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(Communicator).Assembly, (name, _, _) =>
                name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase) && !OperatingSystem.IsWindows() ? NativeLibrary.Load("libmpich.so.12") : IntPtr.Zero);
        return new MpiRuntime(new MPI.Environment(ref args));
    }

    /// <summary>Ends the whole job at once with <paramref name="code"/> (MPI_Abort): the other ranks are killed by the launcher.</summary>
    public void Abort(int code) => World.Abort(code);

    /// <summary>MPI_Finalize.</summary>
    public void Dispose() => _environment.Dispose();
}

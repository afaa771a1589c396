using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Softmax.Distributed;

namespace Softmax.ScaleBench;

/// <summary>
/// <c>mpiexec.mpich -n K scale-bench allreduce [--sizes N,N,...] [--reps R]</c>: the time of one sum-allreduce of N
/// doubles, per size (3 warm-up calls, a barrier, then R timed calls, fewer for large N). Rank 0 prints one JSON
/// line per size.
/// </summary>
internal static class AllReduceBench
{
    private const string DefaultSizes = "1,16,256,4096,7850,65536,1048576,8388608";

    public static int Run(ref string[] args)
    {
        using var mpi = MpiRuntime.Start(ref args);
        string sizes = Value(args, "--sizes") ?? DefaultSizes;
        int reps = int.Parse(Value(args, "--reps") ?? "200", CultureInfo.InvariantCulture);
        var reduce = new MpiAllReduce(mpi.World);
        foreach (int n in sizes.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)))
        {
            var buffer = new double[n];
            int r = Math.Max(3, (int)Math.Min(reps, 4e8 / Math.Max(1, 8L * n)));
            for (int i = 0; i < 3; i++) reduce.SumInPlace(buffer);
            mpi.World.Barrier();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < r; i++) reduce.SumInPlace(buffer);
            double us = clock.Elapsed.TotalMicroseconds / r;
            if (mpi.Rank == 0)
                Console.WriteLine(JsonSerializer.Serialize(new { measure = "allreduce", ranks = mpi.Size, doubles = n, bytes = 8L * n, microseconds = us, reps = r }));
        }
        return 0;
    }

    private static string? Value(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

// Softmax.Bench: our engine on the bench workloads.
//
//   dotnet Softmax.Bench.dll harness [--quick] [--parts lbfgs,predict,sgd,vg,cifar,many]   JSON lines (bench/run)
//   dotnet Softmax.Bench.dll micro [BenchmarkDotNet arguments, e.g. --filter '*ValueAndGradient*']
//   dotnet Softmax.Bench.dll check-objective      the shared F at a fixed point (compare: python3 peers/common.py)
//   dotnet Softmax.Bench.dll sparse-gen PATH ROWS FEATURES NNZ CLASSES    the synthetic LIBSVM file (bench/run sparse)
//   dotnet Softmax.Bench.dll sparse PATH WORKLOAD FEATURES REPEATS MAXITER OUTPREFIX   our engine on it, JSON lines
using BenchmarkDotNet.Running;
using Softmax.Bench;

string mode = args.Length > 0 ? args[0] : "harness";
switch (mode)
{
    case "harness":
        int i = Array.IndexOf(args, "--parts");
        var parts = i >= 0 && i + 1 < args.Length
            ? new HashSet<string>(args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries))
            : new HashSet<string>();
        new Harness(args.Contains("--quick"), parts).Run();
        return 0;
    case "micro":
        // Reports go to bench/results/micro unless --artifacts says otherwise (the binary sits in bin/Release/net10.0).
        string[] micro = args[1..];
        if (!micro.Contains("--artifacts"))
        {
            string results = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../results/micro"));
            micro = [.. micro, "--artifacts", results];
        }
        BenchmarkSwitcher.FromAssembly(typeof(Harness).Assembly).Run(micro);
        return 0;
    case "check-objective":
        // The shared F at a fixed point; `python3 bench/peers/common.py` prints the same number from its routine.
        var split = Softmax.Bench.Common.FashionMnist.Load("train");
        var (w, b) = Softmax.Bench.Common.Objective.CheckPoint(10, split.Features);
        Console.WriteLine(Softmax.Bench.Common.Objective.Value(split, w, b, 10).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case "sparse-gen":
        Sparse.Generate(args[1], int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]));
        return 0;
    case "sparse":
        Sparse.Run(args[1], args[2], int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), args[6]);
        return 0;
    default:
        Console.Error.WriteLine($"unknown mode '{mode}': expected harness, micro, check-objective, sparse-gen or sparse");
        return 2;
}

using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.IO;
using Softmax.Optimization;

namespace Softmax.Cli.Commands;

/// <summary>
/// Hidden flags of <c>softmax train --distributed</c> that tests and benchmarks need and users do not: the
/// bit-for-bit single-process reference of a K-rank run (<c>--slices</c>) and each rank's process id, written when
/// training starts (<c>--debug-pid-dir</c>, so a test can kill or stop one rank mid-run).
/// </summary>
public sealed class ScaleFlags
{
    /// <summary>--slices.</summary>
    public Option<int> Slices { get; } = new("--slices")
    {
        Hidden = true,
        Description = "With --distributed and --solver sgd/adam: hold each rank's rows as K consecutive slices whose sums are added in order " +
                      "(1 rank, K slices: the bit-identical reference of a synchronous K-rank run)",
        DefaultValueFactory = _ => 1,
    };

    /// <summary>--debug-pid-dir.</summary>
    public Option<string?> PidDirectory { get; } = new("--debug-pid-dir") { Hidden = true, Description = "Testing aid: each rank writes rank-R.pid here at its first progress report" };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Add(Slices);
        command.Add(PidDirectory);
    }

    /// <summary>The validated values; <paramref name="distributed"/> says whether --distributed was given.</summary>
    public (int Slices, string? PidDirectory) Values(ParseResult parse, bool distributed)
    {
        int slices = parse.GetValue(Slices);
        if (slices < 1) throw new UsageException($"--slices must be ≥ 1, not {slices}.");
        if (!distributed && (slices != 1 || parse.GetValue(PidDirectory) is not null))
            throw new UsageException("--slices and --debug-pid-dir apply to --distributed training only.");
        return (slices, parse.GetValue(PidDirectory));
    }

    /// <summary>
    /// Progress for rank <paramref name="rank"/>: writes its process id under <paramref name="directory"/> at the
    /// first report, then forwards to <paramref name="inner"/>. Null when there is nothing to do.
    /// </summary>
    public static IProgress<TrainingProgress>? WithPidFile(string? directory, int rank, IProgress<TrainingProgress>? inner)
    {
        if (directory is null) return inner;
        bool written = false;
        return new SyncProgress<TrainingProgress>(p =>
        {
            if (!written)
            {
                written = true;
                AtomicFile.WriteText(Path.Combine(directory, $"rank-{rank}.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            }
            inner?.Report(p);
        });
    }
}

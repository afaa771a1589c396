using System.CommandLine;
using System.Globalization;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Gpu;
using Softmax.IO;
using Softmax.Model;
using Softmax.Streaming;

namespace Softmax.Cli.Commands;

/// <summary>How the training rows reach the solver.</summary>
public enum DataView
{
    /// <summary>Loaded into memory (the run may still switch to <see cref="Streamed"/> when they exceed --memory-limit).</summary>
    InMemory,
    /// <summary>Read in row blocks from a packed file (<c>--stream</c>).</summary>
    Streamed,
    /// <summary>Split over the ranks of an MPI job (<c>--distributed</c>).</summary>
    Distributed,
}

/// <summary>
/// What one <c>softmax train</c> will do, decided in one place from the flags before any work: the data view, the
/// engine, the options and the outputs. Every flag combination the chosen mode cannot honour fails here with a
/// one-line reason (exit 2); only the automatic switch to streaming, which depends on the data's size, is decided
/// later, through <see cref="SwitchToStreamed"/>, with the same checks.
/// </summary>
public sealed record TrainPlan
{
    /// <summary>The data view.</summary>
    public required DataView View { get; init; }
    /// <summary>The engine, opened by the run (<see cref="TrainingEngine.Open"/>).</summary>
    public required ComputeDevice Device { get; init; }
    /// <summary>The --device text, for messages.</summary>
    public required string DeviceText { get; init; }
    /// <summary>Validated training options (no engine plugged in yet).</summary>
    public required TrainingOptions Options { get; init; }
    /// <summary>--data.</summary>
    public required DataSource TrainSource { get; init; }
    /// <summary>--test, or null for the source's own test split.</summary>
    public DataSource? TestSource { get; init; }
    /// <summary>--model.</summary>
    public required string ModelPath { get; init; }
    /// <summary>--metrics-json.</summary>
    public string? MetricsPath { get; init; }
    /// <summary>--plots.</summary>
    public string? PlotDir { get; init; }
    /// <summary>--checkpoint-every (0: none).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Where checkpoints go.</summary>
    public required string CheckpointPath { get; init; }
    /// <summary>--resume.</summary>
    public string? ResumePath { get; init; }
    /// <summary>True when the run writes checkpoints or resumes from one.</summary>
    public bool UsesCheckpoints => CheckpointEvery > 0 || ResumePath is not null;
    /// <summary>--debug-epoch-delay-ms.</summary>
    public int EpochDelayMs { get; init; }
    /// <summary>--memory-limit.</summary>
    public long? MemoryLimit { get; init; }
    /// <summary>--collective-timeout.</summary>
    public TimeSpan CollectiveTimeout { get; init; }
    /// <summary>--average-every.</summary>
    public int AverageEvery { get; init; }
    /// <summary>Distributed: the one-process reference of a K-rank run (hidden <c>--slices</c>, for tests and benchmarks; 1 otherwise).</summary>
    public int Slices { get; init; } = 1;
    /// <summary>Distributed, for tests: each rank writes its pid here at its first progress report (hidden).</summary>
    public string? PidDirectory { get; init; }

    /// <summary>Reads and checks the flags of <c>softmax train</c>.</summary>
    public static TrainPlan Parse(ParseResult p, TrainingFlags flags, TrainOutputFlags own)
    {
        var options = flags.Options(p);
        var (trainSource, testSource) = flags.Sources(p);
        double timeout = p.GetValue(own.CollectiveTimeout);
        var plan = new TrainPlan
        {
            View = p.GetValue(own.Distributed) ? DataView.Distributed : p.GetValue(own.Stream) ? DataView.Streamed : DataView.InMemory,
            Device = flags.DeviceChoice(p, options),
            DeviceText = p.GetValue(flags.Device)!,
            Options = options,
            TrainSource = trainSource,
            TestSource = testSource,
            ModelPath = p.GetValue(own.Model)!,
            MetricsPath = p.GetValue(own.Metrics),
            PlotDir = p.GetValue(own.Plots),
            CheckpointEvery = p.GetValue(own.CheckpointEvery),
            CheckpointPath = p.GetValue(own.Checkpoint) ?? p.GetValue(own.Model)! + ".ckpt",
            ResumePath = p.GetValue(own.Resume),
            EpochDelayMs = p.GetValue(own.Delay),
            MemoryLimit = p.GetValue(own.MemoryLimit),
            CollectiveTimeout = TimeSpan.FromSeconds(UsageException.Check(timeout, timeout > 0, "--collective-timeout", "a positive number of seconds")),
            AverageEvery = p.GetValue(own.AverageEvery),
            Slices = p.GetValue(own.Slices),
            PidDirectory = p.GetValue(own.PidDirectory),
        };
        if (p.GetValue(own.Stream) && p.GetValue(own.Distributed))
            throw new UsageException("--stream and --distributed exclude each other: a distributed run already reads each rank's rows in blocks.");
        if (TrainingFlags.IsGiven(p, own.CollectiveTimeout) && plan.View != DataView.Distributed)
            throw new UsageException("--collective-timeout applies to --distributed training only.");
        return plan.Check();
    }

    /// <summary>The same plan streamed, because the data exceed the memory limit (<paramref name="reason"/> says so).</summary>
    public TrainPlan SwitchToStreamed(string reason) => (this with { View = DataView.Streamed, SwitchReason = reason }).Check(reason);

    /// <summary>Why the run streams although neither --stream nor --distributed was given; null otherwise.</summary>
    public string? SwitchReason { get; init; }

    private TrainPlan Check(string? reason = null)
    {
        AtomicFile.CheckWritable(ModelPath, "--model");
        if (MetricsPath is not null) AtomicFile.CheckWritable(MetricsPath, "--metrics-json");
        if (CheckpointEvery < 0) throw new UsageException("--checkpoint-every must be ≥ 0.");
        if (ResumePath is not null && !File.Exists(ResumePath)) throw new FileNotFoundException($"No such checkpoint file: {ResumePath}", ResumePath);
        UsageException.Check(MemoryLimit, MemoryLimit is not <= 0, "--memory-limit", "a positive number of bytes");
        UsageException.Check(AverageEvery, AverageEvery >= 0, "--average-every", "≥ 0");
        if (AverageEvery > 0 && View != DataView.Distributed) throw new UsageException("--average-every applies to --distributed training only.");
        if (AverageEvery > 0 && Options.Solver == SolverKind.Lbfgs)
            throw new UsageException("--average-every is for --solver sgd or adam (local SGD); L-BFGS combines every evaluation exactly.");
        if (View != DataView.InMemory && DeviceText != "cpu")
            throw new UsageException($"{reason ?? (View == DataView.Distributed ? "--distributed" : "--stream")} runs on the CPU; --device {DeviceText} is not offered with it.");
        UsageException.Check(Slices, Slices >= 1, "--slices", "≥ 1");
        if (View != DataView.Distributed && (Slices != 1 || PidDirectory is not null))
            throw new UsageException("--slices and --debug-pid-dir apply to --distributed training only.");
        if (View == DataView.Distributed && UsesCheckpoints && TrainSource.Spec.Contains(',', StringComparison.Ordinal))
            throw new UsageException("--checkpoint-every and --resume with --distributed need one --data file split by rows: with one file per rank, no rank can fingerprint the others' data.");
        return this;
    }

    /// <summary>
    /// The checkpoints of a streamed or distributed run over <paramref name="file"/> (the whole --data file, before
    /// any validation split): the run's settings, the file's fingerprint and what else decides the arithmetic, so a
    /// resume that would not continue bit for bit is refused: the rows per streamed block (the block-then-row batch
    /// order and the block sums) and, distributed, the ranks (the shards) and the averaging period.
    /// </summary>
    public RunCheckpoints ScaledCheckpoints(PackedDataset file, StreamingOptions stream, int ranks)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(stream);
        bool distributed = View == DataView.Distributed;
        var view = new Dictionary<string, string>(StringComparer.Ordinal) { [RunCheckpoints.ViewKey] = distributed ? "distributed" : "stream" };
        // Distributed SGD/Adam hold each shard in memory: there, blocks do not enter the arithmetic.
        if (!distributed || Options.Solver == SolverKind.Lbfgs) view["block_rows"] = Ui.I(stream.BlockRows(file.Header));
        if (distributed) (view["ranks"], view["average_every"], view["slices"]) = (Ui.I(ranks), Ui.I(AverageEvery), Ui.I(Slices));
        return Checkpoints(Options, DataFingerprint.OfPacked(file, TrainSource.Spec), view);
    }

    /// <summary>
    /// The checkpoints of this run: the settings of <paramref name="options"/> (with the run's engine plugged in), the
    /// data's <paramref name="fingerprint"/> and the <paramref name="view"/>'s own settings, all compared on --resume.
    /// </summary>
    public RunCheckpoints Checkpoints(TrainingOptions options, IReadOnlyDictionary<string, string> fingerprint,
        IReadOnlyDictionary<string, string> view) => new(this, TrainingFlags.Describe(options, TrainSource), fingerprint, view);
}

/// <summary>The flags of <c>softmax train</c> beyond the shared <see cref="TrainingFlags"/>: outputs, checkpoints and the data view.</summary>
public sealed class TrainOutputFlags() : OutputFlags("Where to write the trained model", "Write the run's metrics as one JSON object",
    "Directory for learning curves, weight pictures and the confusion matrix (PNG and SVG)")
{
    /// <summary>--checkpoint-every.</summary>
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Write a checkpoint every N epochs (L-BFGS: iterations)", DefaultValueFactory = _ => 0 };
    /// <summary>--checkpoint.</summary>
    public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Checkpoint file (default: MODEL.ckpt)" };
    /// <summary>--resume.</summary>
    public Option<string?> Resume { get; } = new("--resume") { Description = "Continue from a checkpoint written by --checkpoint-every" };
    /// <summary>--debug-epoch-delay-ms.</summary>
    public Option<int> Delay { get; } = new("--debug-epoch-delay-ms") { Hidden = true, Description = "Testing aid: pause after each epoch" };
    /// <summary>--stream.</summary>
    public Option<bool> Stream { get; } = new("--stream") { Description = "Stream row blocks from a packed cache instead of loading the data (on by itself when the decoded data exceed --memory-limit)" };
    /// <summary>--memory-limit.</summary>
    public Option<long?> MemoryLimit { get; } = new("--memory-limit") { Description = "Bytes the decoded training data may take in memory before training streams (default: half the memory available)" };
    /// <summary>--distributed.</summary>
    public Option<bool> Distributed { get; } = new("--distributed") { Description = "Data-parallel training over MPI: run as 'mpiexec.mpich -n K softmax train --distributed ...'; --data is one file split by rows, or a comma-separated list of one file per rank. L-BFGS/OWL-QN are exact; SGD/Adam run synchronous mini-batches (one allreduce per step) or, with --average-every, local SGD" };
    /// <summary>--average-every.</summary>
    public Option<int> AverageEvery { get; } = new("--average-every") { Description = "With --distributed and --solver sgd/adam: local SGD, each rank steps on its own rows and the ranks average the weights every K steps and at each epoch's end (0: synchronous mini-batches, one allreduce per step)", DefaultValueFactory = _ => 0 };
    /// <summary>--collective-timeout.</summary>
    public Option<double> CollectiveTimeout { get; } = new("--collective-timeout") { Description = "Seconds a rank may wait in one MPI collective before the job ends with an error", DefaultValueFactory = _ => 600 };
    /// <summary>--slices.</summary>
    public Option<int> Slices { get; } = new("--slices") { Hidden = true, Description = "With --distributed and --solver sgd/adam: hold each rank's rows as K consecutive slices whose sums are added in order (1 rank, K slices: the bit-identical reference of a synchronous K-rank run)", DefaultValueFactory = _ => 1 };
    /// <summary>--debug-pid-dir.</summary>
    public Option<string?> PidDirectory { get; } = new("--debug-pid-dir") { Hidden = true, Description = "Testing aid: each rank writes rank-R.pid here at its first progress report" };

    /// <summary>Adds every flag to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Model, Metrics, Plots, CheckpointEvery, Checkpoint, Resume, Delay, Stream, MemoryLimit, Distributed, AverageEvery,
                     CollectiveTimeout, Slices, PidDirectory })
            command.Add(o);
    }
}

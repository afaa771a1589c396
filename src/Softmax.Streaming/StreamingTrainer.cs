using System.Diagnostics;
using System.Globalization;
using Softmax.Data;
using Softmax.Engine;
using Softmax.Model;
using Softmax.Optimization;

namespace Softmax.Streaming;

/// <summary>
/// <see cref="SoftmaxTrainer.Fit"/> for a packed file that is streamed instead of loaded: L-BFGS/OWL-QN make one
/// streamed pass per evaluation; SGD and Adam run <see cref="MiniBatchSolver"/> over a <see cref="BlockBatchPlan"/>. With an
/// <see cref="IAllReduce"/> and a shard range in <see cref="StreamingOptions"/>, every worker trains on its rows and
/// the sums (and the preconditioner's moments) are combined, so all workers take identical steps.
/// <para>Preprocessing: None and Scale (the default for uint8 files: 1/255); Center and Standardize in one process,
/// fitted by a streamed pass. Checkpoints and resume work as in memory (the solvers are the same); a validation split
/// and warm starts are not offered on this path (validation rows are passed in memory).</para>
/// </summary>
public static class StreamingTrainer
{
    /// <summary>
    /// Trains on <paramref name="file"/>; <paramref name="totalRows"/> and <paramref name="globalOffset"/> place a
    /// worker's shard in the whole. <paramref name="checkpoint"/> receives the solver's state every
    /// <paramref name="checkpointEvery"/> epochs (L-BFGS: iterations); <paramref name="resumeFrom"/> continues from one,
    /// bit-identically to the uninterrupted run with the same block size and threads. <paramref name="validation"/>
    /// (raw rows in memory, held out of the file) turns on early stopping with <see cref="TrainingOptions.Patience"/>,
    /// scored as <see cref="SoftmaxTrainer.Fit"/> scores its split.
    /// </summary>
    public static TrainingResult Fit(PackedDataset file, TrainingOptions options, StreamingOptions? stream = null,
        IAllReduce? allReduce = null, int globalOffset = 0, int? totalRows = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        SolverState? resumeFrom = null, Action<SolverState>? checkpoint = null, int checkpointEvery = 1, Dataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.ValidationFraction > 0) throw new NotSupportedException("A validation split is not offered for streamed training; pack the validation rows separately and pass them as validation.");
        if (options.WarmStart is not null) throw new NotSupportedException("Warm starts are not offered for streamed training.");
        var preprocessor = FitPreprocessor(file, options, allReduce is null ? stream ?? new StreamingOptions() : null);
        var classWeights = options.BalancedClassWeights ? BalancedWeights(file, stream, allReduce) : options.ClassWeights;
        stream = (stream ?? new StreamingOptions()) with
        {
            Preprocessor = preprocessor,
            Engine = (stream?.Engine ?? options.Engine) with { ClassWeights = classWeights },
        };
        var loss = new StreamingSoftmaxLoss(file, stream);
        if (loss.Rows == 0 && allReduce is null) throw new ArgumentException($"{file.Path} has no rows to train on.", nameof(file));
        var objective = new SoftmaxObjective(loss, options.L2, options.L1, allReduce);
        ISolver solver = options.Solver switch
        {
            SolverKind.Lbfgs => new LbfgsSolver(options.Lbfgs, options.Lbfgs.Precondition
                ? StreamedMoments.Compute(loss.Blocks, allReduce: allReduce, globalOffset: globalOffset, totalRows: totalRows)
                : null),
            SolverKind.Sgd => new MiniBatchSolver(new SgdRule(options.Momentum, options.Nesterov), options.MiniBatch, new BlockBatchPlan(loss.Blocks)),
            SolverKind.Adam => new MiniBatchSolver(new AdamRule(), options.MiniBatch, new BlockBatchPlan(loss.Blocks)),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
        var context = new SolverContext
        {
            Progress = progress,
            CancellationToken = cancellationToken,
            Precision = options.Precision,
            Validate = validation is null ? null : SoftmaxTrainer.Validator(validation, preprocessor, stream.Engine ?? options.Engine),
            Patience = options.Patience,
            MinDelta = options.MinDelta,
            ValidateEvery = options.Solver == SolverKind.Lbfgs ? 5 : 1,
            ResumeFrom = resumeFrom,
            Checkpoint = checkpoint,
            CheckpointEvery = checkpointEvery,
        };
        var clock = Stopwatch.StartNew();
        var result = solver.Minimize(objective, new double[objective.Dimension], context);
        clock.Stop();
        double value = objective.ExactValue(result.Theta);
        var info = TrainingInfo.From(solver.Name, options, result, value, totalRows ?? loss.Rows, clock.Elapsed, new Dictionary<string, string>
        {
            ["preprocess"] = preprocessor.Kind.ToString(),
            ["threads"] = (stream.Engine ?? new CpuEngineOptions()).EffectiveThreads.ToString(CultureInfo.InvariantCulture),
            ["stream_block_rows"] = loss.Blocks.BlockRows.ToString(CultureInfo.InvariantCulture),
            ["stream_passes"] = loss.Passes.ToString(CultureInfo.InvariantCulture),
        });
        var h = file.Header;
        var model = new SoftmaxModel(result.Theta, h.ClassNames, h.Features, preprocessor, h.Image, info);
        return new TrainingResult(model, result, value, validation, clock.Elapsed);
    }

    /// <summary>
    /// The preprocessing <see cref="SoftmaxTrainer.FitPreprocessor"/> would choose for the file's element type. Center
    /// and Standardize are fitted by one streamed pass over <paramref name="stream"/>'s rows, giving the same mean and
    /// scale as in memory, bit for bit; without a stream (a worker's shard is not the training set) they are refused.
    /// </summary>
    public static Preprocessor FitPreprocessor(PackedDataset file, TrainingOptions options, StreamingOptions? stream = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        bool bytes = file.Header.ElementType == PackedElementType.UInt8;
        float? declared = Preprocessor.DeclaredScale(file.Header.Image, bytes);
        var kind = options.Preprocess ?? (declared is not null ? PreprocessKind.Scale : PreprocessKind.None);
        if (kind > PreprocessKind.Scale && stream is null) throw new NotSupportedException($"Training over workers offers preprocessing None and Scale, not {kind}.");
        if (kind <= PreprocessKind.Scale) return new Preprocessor(kind, options.PreprocessScale ?? (kind == PreprocessKind.Scale ? declared ?? Preprocessor.PixelScale : 1f));
        float? scale = options.PreprocessScale ?? declared;   // as SoftmaxTrainer.FitPreprocessor
        // The raw rows, block after block in file order: the sums of Preprocessor.Fit in its order.
        var raw = new BlockStream(file, stream! with { Preprocessor = new Preprocessor(PreprocessKind.None), DoubleBuffer = false });
        return Preprocessor.Fit(kind, raw.Read(null).Select(block => block.Data.Slice(0, block.Count)), scale);
    }

    private static double[] BalancedWeights(PackedDataset file, StreamingOptions? stream, IAllReduce? allReduce)
    {
        var counts = new double[file.Classes + 1];
        var blocks = new BlockStream(file, stream ?? new StreamingOptions());
        blocks.ForEach(block => { for (int r = 0; r < block.Count; r++) counts[block.Data.Labels[r]]++; counts[^1] += block.Count; });
        allReduce?.SumInPlace(counts);
        var w = new double[file.Classes];
        for (int c = 0; c < w.Length; c++) w[c] = counts[c] == 0 ? 0 : counts[^1] / (file.Classes * counts[c]);
        return w;
    }
}

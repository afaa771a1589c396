using System.Numerics.Tensors;
using Softmax.Data;
using Softmax.Engine;

namespace Softmax.Model;

/// <summary>
/// A trained linear softmax classifier: scores o = W x' + b on preprocessed features x', probabilities softmax(o).
/// It keeps the class names and the fitted preprocessing, so it takes raw rows. Thread-safe for prediction.
/// </summary>
public sealed unsafe partial class SoftmaxModel
{
    private readonly double[] _theta;
    private readonly PinnedBuffer<float> _w;   // (C × S), zero padding
    private readonly PinnedBuffer<float> _panels; // W's first ⌊C/10⌋·10 rows as Avx512Kernels.PackPanels lays them out
    private readonly float[] _b;
    [ThreadStatic] private static float[]? t_row;

    /// <summary>Creates a model from θ = [W (C×D row-major), b (C)].</summary>
    public SoftmaxModel(double[] theta, IReadOnlyList<string> classNames, int features, Preprocessor? preprocessor = null,
        ImageShape? image = null, TrainingInfo? training = null)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(classNames);
        int C = classNames.Count;
        if (C < 1) throw new ArgumentException("A model needs at least one class.", nameof(classNames));
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features));
        if (theta.Length != C * features + C) throw new ArgumentException($"θ must have C·D + C = {C * features + C} entries, not {theta.Length}.", nameof(theta));
        for (int i = 0; i < theta.Length; i++)
            if (!double.IsFinite(theta[i]) || Math.Abs(theta[i]) > float.MaxValue)
                throw new ArgumentException(
                    $"θ[{i}] is {theta[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}: a model's parameters must be finite in float32, the precision it scores in.", nameof(theta));
        _theta = (double[])theta.Clone();
        ClassNames = classNames.ToArray();
        Features = features;
        Preprocessor = preprocessor ?? new Preprocessor(PreprocessKind.None);
        Image = image;
        Training = training ?? new TrainingInfo();
        Stride = DenseMatrix.PaddedLength(features);
        _w = new PinnedBuffer<float>(C * Stride);
        var w = _w.Span;
        for (int c = 0; c < C; c++)
            for (int d = 0; d < features; d++) w[c * Stride + d] = (float)theta[c * features + d];
        _panels = new PinnedBuffer<float>(Avx512Kernels.IsSupported ? C / Avx512Kernels.PanelClasses * Avx512Kernels.PanelClasses * Stride : 0);
        if (_panels.Length > 0) Avx512Kernels.PackPanels(_w.Pointer, C, Stride, _panels.Pointer);
        _b = Array.ConvertAll(theta[(C * features)..], t => (float)t);
    }

    /// <summary>Original class labels, by class index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes => ClassNames.Count;

    /// <summary>Number of input features D.</summary>
    public int Features { get; }

    /// <summary>Preprocessing applied to raw rows before scoring.</summary>
    public Preprocessor Preprocessor { get; }

    /// <summary>Image layout of a row, for image data.</summary>
    public ImageShape? Image { get; }

    /// <summary>How the model was trained.</summary>
    public TrainingInfo Training { get; }

    /// <summary>
    /// The input the model expects: named columns and the featurization into its <see cref="Features"/> features;
    /// <see cref="InputSchema.Default"/> (f0…, or pixel positions) unless one is given.
    /// </summary>
    public InputSchema Schema
    {
        get => _schema ??= InputSchema.Default(Features, Image);
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.FeatureCount != Features)
                throw new ArgumentException($"The schema gives {value.FeatureCount} features but the model has {Features}.", nameof(value));
            _schema = value;
        }
    }

    private InputSchema? _schema;

    /// <summary>Whether <see cref="Schema"/> was given (named columns or a featurization), not the default.</summary>
    public bool HasSchema => _schema is { } s && (s.Named || !s.IsIdentity);

    private int Stride { get; }

    /// <summary>A copy of θ = [W, b] in float64.</summary>
    public double[] Parameters => (double[])_theta.Clone();

    /// <summary>W[c, d], the weight of feature d for class c (in preprocessed units).</summary>
    public double Weight(int c, int d) => _theta[c * Features + d];

    /// <summary>b[c].</summary>
    public double Bias(int c) => _theta[Classes * Features + c];

    /// <summary>The weights of class c as a row of D values (for pictures).</summary>
    public ReadOnlySpan<double> WeightRow(int c) => _theta.AsSpan(c * Features, Features);

    /// <summary>
    /// Scores o = W x' + b of one raw row. A score beyond the float32 range is ±∞, never NaN: when the float32 path
    /// overflows, the row is scored again in float64 (see <see cref="PreciseScores"/>).
    /// </summary>
    public void DecisionFunction(ReadOnlySpan<float> row, Span<float> scores)
    {
        if (Scores(row, scores) is not { } s) return;
        for (int c = 0; c < Classes; c++) scores[c] = (float)s[c];
    }

    /// <summary>Class probabilities of one raw row: finite and summing to 1 for every finite row.</summary>
    public void PredictProba(ReadOnlySpan<float> row, Span<float> probabilities)
    {
        if (Scores(row, probabilities) is not { } s)
        {
            StableMath.SoftmaxInPlace(probabilities[..Classes]);
            return;
        }
        StableMath.Softmax(s, s);
        for (int c = 0; c < Classes; c++) probabilities[c] = (float)s[c];
    }

    /// <summary>Class probabilities of one raw row.</summary>
    public float[] PredictProba(ReadOnlySpan<float> row)
    {
        var p = new float[Classes];
        PredictProba(row, p);
        return p;
    }

    /// <summary>log p of one raw row, through log-sum-exp.</summary>
    public double[] PredictLogProba(ReadOnlySpan<float> row)
    {
        Span<float> s = Classes <= 256 ? stackalloc float[Classes] : new float[Classes];
        var o = Scores(row, s);
        if (o is null) TensorPrimitives.ConvertChecked<float, double>(s[..Classes], o = new double[Classes]);
        StableMath.LogSoftmax(o, o);
        return o;
    }

    /// <summary>Index of the most probable class of one raw row (ties: the lowest index).</summary>
    public int Predict(ReadOnlySpan<float> row)
    {
        Span<float> s = Classes <= 256 ? stackalloc float[Classes] : new float[Classes];
        return Scores(row, s) is { } o ? TensorPrimitives.IndexOfMax<double>(o) : TensorPrimitives.IndexOfMax(s[..Classes]);
    }

    /// <summary>Label of the most probable class of one raw row.</summary>
    public string PredictLabel(ReadOnlySpan<float> row) => ClassNames[Predict(row)];

    /// <summary>The k largest of given probabilities, largest first (ties: lower class first).</summary>
    public static (int Class, float Probability)[] TopKOf(ReadOnlySpan<float> probabilities, int k)
    {
        k = Math.Clamp(k, 1, probabilities.Length);
        var p = probabilities.ToArray();
        // A stable sort: equal probabilities keep the lower class first.
        return Enumerable.Range(0, p.Length).OrderByDescending(c => p[c]).Take(k).Select(c => (c, p[c])).ToArray();
    }

    /// <summary>Probabilities of every row of a raw dataset, row-major (rows × C).</summary>
    public float[] PredictProba(Dataset data)
    {
        var p = BlockScores(data, shifted: true);
        int C = Classes, N = data.Rows;
        const int Chunk = 1024;
        Parallel.For(0, (N + Chunk - 1) / Chunk, k =>
        {
            int start = k * Chunk;
            StableMath.SoftmaxRows(p.AsSpan(start * C, Math.Min(Chunk, N - start) * C), C);
        });
        return p;
    }

    /// <summary>Scores of every row of a raw dataset, row-major (rows × C), computed with the engine's block kernels.</summary>
    public float[] DecisionFunction(Dataset data) => BlockScores(data, shifted: false);

    private float[] BlockScores(Dataset data, bool shifted)
    {
        ArgumentNullException.ThrowIfNull(data);
        var scores = new float[(long)data.Rows * Classes];
        int C = Classes;
        ScoreBlocks(data, shifted, (start, n, block) => block[..(n * C)].CopyTo(scores.AsSpan(start * C, n * C)));
        return scores;
    }

    /// <summary>Most probable class index of every row (block by block: no rows × C array).</summary>
    public int[] Predict(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var y = new int[data.Rows];
        int C = Classes;
        ScoreBlocks(data, shifted: true, (start, n, block) =>
        {
            for (int r = 0; r < n; r++) y[start + r] = TensorPrimitives.IndexOfMax(block.Slice(r * C, C));
        });
        return y;
    }

    /// <summary>Receives the scores of rows start … start + n − 1 (row-major, n × C); called in parallel on disjoint blocks.</summary>
    private delegate void BlockSink(int start, int n, Span<float> scores);

    /// <summary>Scores a raw dataset block by block with the engine's kernels and hands each block to <paramref name="sink"/>.</summary>
    private void ScoreBlocks(Dataset data, bool shifted, BlockSink sink)
    {
        CheckRow(data.FeatureCount);
        var x = Preprocessor.Apply(data, allowDensify: true).Features;
        int C = Classes, N = data.Rows;
        const int Block = 256;
        if (x is CsrMatrix csr)
        {
            var o = new float[C];
            var w = _w.Span;
            for (int i = 0; i < N; i++)
            {
                _b.CopyTo(o, 0);
                var columns = csr.RowColumns(i);
                var values = csr.RowValues(i);
                for (int k = 0; k < columns.Length; k++)
                    for (int c = 0; c < C; c++) o[c] += w[c * Stride + columns[k]] * values[k];
                RepairScores(data, i, 1, o, shifted);
                sink(i, 1, o);
            }
            return;
        }
        int blocks = (N + Block - 1) / Block;
        int workers = Math.Min(Environment.ProcessorCount, blocks);
        // Each worker takes every workers-th block and allocates its scratch once.
        Parallel.For(0, workers, w =>
        {
            var buffer = x is DenseMatrix ? null : new PinnedBuffer<float>(Block * Stride);
            var pointers = new PinnedBuffer<nint>(Block);
            var scores = new PinnedBuffer<float>(Block * C);
            float** rows = (float**)pointers.Pointer;
            for (int blk = w; blk < blocks; blk += workers)
            {
                int start = blk * Block, n = Math.Min(Block, N - start);
                for (int r = 0; r < n; r++)
                {
                    if (x is DenseMatrix dense) { rows[r] = dense.Pointer + (long)(start + r) * Stride; continue; }
                    rows[r] = buffer!.Pointer + r * Stride;
                    if (x is ByteMatrix bytes)
                        fixed (byte* src = bytes.Bytes)
                        {
                            // A few rows ahead, or the conversion waits on memory (see CpuSoftmaxLoss).
                            Avx512Kernels.Prefetch(src + (long)Math.Min(start + r + 8, N - 1) * Features, Features);
                            Avx512Kernels.ConvertBytes(src + (long)(start + r) * Features, Features, bytes.Scale, rows[r]);
                        }
                    else x.CopyRow(start + r, buffer.Span.Slice(r * Stride, Features));
                }
                fixed (float* b = _b)
                {
                    if (Avx512Kernels.IsSupported) Avx512Kernels.Forward(rows, n, 0, Stride, _w.Pointer, _panels.Pointer, b, C, scores.Pointer, C, 1);
                    else PortableKernels.Forward(rows, n, Stride, _w.Pointer, b, C, scores.Pointer, C, 1);
                }
                RepairScores(data, start, n, scores.Span, shifted);
                sink(start, n, scores.Span);
            }
            // The kernels hold raw pointers into these pinned arrays: keep them reachable until the kernels are done.
            GC.KeepAlive(buffer);
            GC.KeepAlive(pointers);
            GC.KeepAlive(scores);
            GC.KeepAlive(x);
        });
    }

    /// <summary>Accuracy on a labelled raw dataset whose class names match the model's.</summary>
    public double Score(Dataset data)
    {
        var y = Predict(data);
        var labels = MapLabels(data);
        return data.Rows == 0 ? 0 : y.Where((p, i) => p == labels[i]).Count() / (double)data.Rows;
    }

    /// <summary>The dataset's labels as this model's class indices (by class name); −1 for a name the model does not know.</summary>
    public int[] MapLabels(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < Classes; c++) index[ClassNames[c]] = c;
        var map = data.ClassNames.Select(n => index.TryGetValue(n, out var c) ? c : -1).ToArray();
        return data.Labels.Select(y => map[y]).ToArray();
    }

    private void CheckRow(int length)
    {
        if (length != Features)
            throw new ArgumentException($"The model expects {Features} features per row, but the data have {length}.");
    }
}

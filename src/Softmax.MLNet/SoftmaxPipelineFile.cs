using System.IO.Compression;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Softmax.IO;

namespace Softmax.MLNet;

/// <summary>
/// Saves and loads an ML.NET pipeline that ends in a <see cref="SoftmaxPredictionTransformer"/>. The file is a zip
/// of three entries: <c>transforms.zip</c> (the transforms before the trainer, in ML.NET's own format, with the
/// input schema), <c>model.softmax</c> (the model in the library's <see cref="ModelFile"/> format: magic, version,
/// checksum) and <c>columns.txt</c> (the feature, score and predicted-label column names, one per line).
/// ML.NET 5 cannot save the transformer itself (see <see cref="SoftmaxPredictionTransformer"/>).
/// </summary>
public static class SoftmaxPipelineFile
{
    private const string TransformsEntry = "transforms.zip";
    private const string ModelEntry = "model.softmax";
    private const string ColumnsEntry = "columns.txt";

    /// <summary>
    /// Writes <paramref name="model"/>: a <see cref="SoftmaxPredictionTransformer"/>, or a transformer chain whose
    /// last transformer is one. <paramref name="inputSchema"/> is the schema of the data the pipeline takes.
    /// Written to a temporary file, then renamed.
    /// </summary>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var steps = Flatten(model).ToList();
        if (steps.Count == 0 || steps[^1] is not SoftmaxPredictionTransformer softmax)
            throw new ArgumentException("The pipeline must end in a SoftmaxPredictionTransformer (the Softmax trainer's output).", nameof(model));
        steps.RemoveAt(steps.Count - 1);
        if (steps.OfType<SoftmaxPredictionTransformer>().Any())
            throw new ArgumentException("Only the last step of the pipeline may be a SoftmaxPredictionTransformer.", nameof(model));

        AtomicFile.WriteStream(path, file =>
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            using (var entry = zip.CreateEntry(TransformsEntry).Open())
                mlContext.Model.Save(new TransformerChain<ITransformer>(steps.ToArray()), inputSchema, entry);
            using (var entry = zip.CreateEntry(ModelEntry).Open())
                entry.Write(ModelFile.Serialize(softmax.Model));
            using (var entry = new StreamWriter(zip.CreateEntry(ColumnsEntry).Open(), new UTF8Encoding(false)))
                entry.Write($"{softmax.FeatureColumnName}\n{softmax.ScoreColumnName}\n{softmax.PredictedLabelColumnName}\n");
        });
    }

    /// <summary>Reads a pipeline written by <see cref="Save"/>; <paramref name="inputSchema"/> is the schema it takes.</summary>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var zip = ZipFile.OpenRead(path);
        ZipArchiveEntry Entry(string name) => zip.GetEntry(name)
            ?? throw new InvalidDataException($"{path}: not a Softmax pipeline file: the entry '{name}' is missing.");

        ITransformer transforms;
        using (var stream = new MemoryStream())
        {
            using (var entry = Entry(TransformsEntry).Open()) entry.CopyTo(stream);
            stream.Position = 0;
            transforms = mlContext.Model.Load(stream, out inputSchema);
        }
        Softmax.Model.SoftmaxModel model;
        using (var stream = Entry(ModelEntry).Open()) model = ModelFile.Load(stream, $"{path}!{ModelEntry}");
        string[] columns;
        using (var reader = new StreamReader(Entry(ColumnsEntry).Open(), Encoding.UTF8))
            columns = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (columns.Length != 3)
            throw new InvalidDataException($"{path}!{ColumnsEntry}: expected 3 column names (features, score, predicted label), found {columns.Length}.");
        var softmax = new SoftmaxPredictionTransformer(model, columns[0], columns[1], columns[2]);
        return new TransformerChain<ITransformer>([.. Flatten(transforms), softmax]);
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [transformer];
}

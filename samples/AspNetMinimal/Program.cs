// A minimal ASP.NET app serving a Softmax model: the model is read once through the library's ModelFile (magic,
// version and checksum checked) and shared, since SoftmaxModel is thread-safe for prediction.
//   dotnet run --project samples/AspNetMinimal -- --Model path/to/model.softmax --urls http://127.0.0.1:5000
//   curl -X POST http://127.0.0.1:5000/predict -H 'Content-Type: application/json' -d '{"features":[0,0,5,13,...]}'
using Softmax.IO;
using Softmax.Model;

var builder = WebApplication.CreateSlimBuilder(args);
string path = builder.Configuration["Model"]
    ?? throw new InvalidOperationException("Give the model file: --Model PATH (or the environment variable Model=PATH).");
var model = ModelFile.Load(path);
builder.Services.AddSingleton(model);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, SampleJson.Default));

var app = builder.Build();

app.MapGet("/model", (SoftmaxModel m) => new ModelInfo(m.Classes, m.Features, m.ClassNames.ToArray()));

app.MapPost("/predict", (PredictRequest request, SoftmaxModel m) =>
{
    if (request.Features is not { } x || x.Length != m.Features)
        return Results.BadRequest(new ProblemText($"'features' must hold {m.Features} numbers, got {request.Features?.Length ?? 0}."));
    var p = m.PredictProba(x);
    int best = m.Predict(x);
    return Results.Ok(new PredictResponse(m.ClassNames[best], best, p));
});

app.Run();

/// <summary>POST /predict body: one raw row.</summary>
public sealed record PredictRequest(float[]? Features);

/// <summary>POST /predict answer: the most probable class and every class's probability (in class order).</summary>
public sealed record PredictResponse(string Label, int Class, float[] Probabilities);

/// <summary>GET /model answer.</summary>
public sealed record ModelInfo(int Classes, int Features, string[] ClassNames);

/// <summary>A 400 answer's text.</summary>
public sealed record ProblemText(string Error);

[System.Text.Json.Serialization.JsonSerializable(typeof(PredictRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(PredictResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ModelInfo))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProblemText))]
internal sealed partial class SampleJson : System.Text.Json.Serialization.JsonSerializerContext;

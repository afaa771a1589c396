using System.CommandLine;
using Softmax.Serving;

namespace Softmax.Cli.Commands;

/// <summary><c>softmax serve</c>: predictions over HTTP (Kestrel, loopback by default), with a web page.</summary>
public static class ServeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalFlags global)
    {
        var model = new Option<string>("--model") { Description = "Model file", DefaultValueFactory = _ => "model.softmax" };
        var urls = new Option<string>("--urls") { Description = "Addresses, ';'-separated", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var token = new Option<string?>("--admin-token") { Description = $"Enables POST /v1/model (or set {ServeOptions.AdminTokenVariable})" };
        var watch = new Option<bool>("--watch") { Description = "Reload the model file when it changes" };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body", DefaultValueFactory = _ => 4 << 20 };
        var command = new Command("serve", "Serve predictions over HTTP, with a web page at /") { model, urls, token, watch, maxBody };
        command.SetAction(parse => global.Run(parse, (ui, ct) => ModelServer.RunAsync(new ServeOptions
        {
            ModelPath = parse.GetValue(model),
            Urls = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            AdminToken = parse.GetValue(token) ?? Environment.GetEnvironmentVariable(ServeOptions.AdminTokenVariable),
            WatchModelFile = parse.GetValue(watch),
            MaxBodyBytes = parse.GetValue(maxBody),
            Log = line => Console.Error.WriteLine($"softmax serve: {Output.TerminalText.Safe(line, keepNewlines: true)}"),
        }, ct).GetAwaiter().GetResult()));
        return command;
    }
}

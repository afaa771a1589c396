using System.CommandLine;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Spectre.Console;

namespace Softmax.Cli.Commands;

/// <summary><c>softmax data get NAME [--dir D]</c>: downloads a dataset with verified SHA-256 sums and a progress bar.</summary>
public static class DataCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(GlobalFlags global)
    {
        var name = new Argument<string>("name") { Description = "mnist, fashion-mnist or cifar10" };
        name.AcceptOnlyFromAmong("mnist", "fashion-mnist", "cifar10");
        var dir = new Option<string?>("--dir") { Description = "Target directory (default: the per-user data directory)" };
        var baseUrl = new Option<string?>("--base-url") { Hidden = true, Description = "Fetch from this base URL instead (mirrors, tests)" };
        var get = new Command("get", "Download a dataset, verify it and place it atomically") { name, dir, baseUrl };
        get.SetAction(parse => global.Run(parse, (ui, token) =>
        {
            string key = parse.GetValue(name)!;
            var dataset = key switch { "mnist" => DatasetName.Mnist, "fashion-mnist" => DatasetName.FashionMnist, _ => DatasetName.Cifar10 };
            string target = parse.GetValue(dir) ?? NamedDatasets.UserDataDirectory(key);
            Uri? baseUri = parse.GetValue(baseUrl) is { } u ? new Uri(u.EndsWith('/') ? u : u + "/") : null;
            if (ui.Interactive)
            {
                AnsiConsole.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                        new TransferSpeedColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>();
                        var progress = new SyncProgress<DownloadProgress>(p =>
                        {
                            if (!tasks.TryGetValue(p.File, out var task)) tasks[p.File] = task = ctx.AddTask(Markup.Escape(p.File), maxValue: 1);
                            if (p.TotalBytes is { } total && total > 0) task.MaxValue = total;
                            task.Value = Math.Min(p.BytesReceived, task.MaxValue);
                            task.Description = Markup.Escape($"{p.File} ({p.Stage.ToString().ToLowerInvariant()})");
                            if (p.Stage == DownloadStage.Done) task.Value = task.MaxValue;
                        });
                        Downloader.DownloadAsync(dataset, target, progress, token, baseUri).GetAwaiter().GetResult();
                    });
            }
            else
            {
                var last = new Dictionary<string, DownloadStage>();
                var progress = new SyncProgress<DownloadProgress>(p =>
                {
                    if (last.TryGetValue(p.File, out var stage) && stage == p.Stage) return;
                    last[p.File] = p.Stage;
                    ui.Note($"{p.File}: {p.Stage.ToString().ToLowerInvariant()}");
                });
                Downloader.DownloadAsync(dataset, target, progress, token, baseUri).GetAwaiter().GetResult();
            }
            ui.Result($"{key}: ready in {target}");
            return 0;
        }));
        return new Command("data", "Fetch datasets") { get };
    }
}

using System.CommandLine;
using Softmax.Cli.Infrastructure;
using Softmax.Cli.Output;
using Softmax.Data;
using Softmax.Streaming;
using Spectre.Console;

namespace Softmax.Cli.Commands;

/// <summary>
/// <c>softmax data get NAME [--dir D]</c>: downloads a dataset with verified SHA-256 sums and a progress bar.
/// <c>softmax data pack SOURCE OUTPUT</c>: writes the packed binary cache (<c>.smxp</c>) that streamed and distributed
/// training read.
/// </summary>
public static class DataCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(GlobalFlags global)
    {
        var name = new Argument<string>("name") { Description = "mnist, fashion-mnist or cifar10" }.AcceptOnlyFromAmong("mnist", "fashion-mnist", "cifar10");
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
        return new Command("data", "Fetch and pack datasets") { get, Pack(global) };
    }

    private static Command Pack(GlobalFlags global)
    {
        var source = new Argument<string>("source") { Description = "Dataset name (digits, fashion-mnist, mnist, cifar10) or a file/directory in any supported format" };
        var output = new Argument<string>("output") { Description = "The packed file to write (.smxp); written atomically" };
        var format = new Option<string>("--format") { Description = "Input format", DefaultValueFactory = _ => "auto" }.AcceptOnlyFromAmong(DataSource.FormatNames);
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV label column, by header name or 0-based index (negative: from the end)" };
        var split = new Option<string>("--split") { Description = "train, or test (a named dataset's or a directory's test split)", DefaultValueFactory = _ => "train" }.AcceptOnlyFromAmong("train", "test");
        var rows = new Option<string?>("--rows") { Description = "Only rows START:COUNT (0-based), e.g. one shard per machine" };
        var pack = new Command("pack", "Pack rows into the binary cache that 'train --stream' and 'train --distributed' read") { source, output, format, labelColumn, split, rows };
        pack.SetAction(parse => global.Run(parse, (ui, _) =>
        {
            var data = new DataSource(parse.GetValue(source)!, DataSource.ParseFormat(parse.GetValue(format)), parse.GetValue(labelColumn));
            var rowsData = parse.GetValue(split) == "test"
                ? data.LoadOwnTestSplit() ?? throw new UsageException($"{data.Spec} has no test split of its own.")
                : data.LoadTrainTest().Train;
            if (parse.GetValue(rows) is { } range)
            {
                var parts = range.Split(':');
                if (parts.Length != 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int start)
                    || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count))
                    throw new UsageException($"--rows takes START:COUNT, not '{range}'.");
                if ((long)start + count > rowsData.Rows)
                    throw new UsageException($"--rows {range} exceeds the {rowsData.Rows} rows of {data.Spec}.");
                rowsData = rowsData.Slice(start, count);
            }
            string target = parse.GetValue(output)!;
            if (!DataSource.IsPackedPath(target)) throw new UsageException($"The output should end in .smxp, not '{target}'.");
            var header = PackedDataset.Pack(rowsData, target);
            ui.Result($"{target}: {header.Rows} rows, {header.Features} features, {header.Classes} classes, " +
                      $"{header.ElementType.ToString().ToLowerInvariant()}, {new FileInfo(target).Length} bytes");
            return 0;
        }));
        return pack;
    }
}

using System.CommandLine;
using Spectre.Console;
using UsageTracking.Reporting;

namespace UsageTracking.Cli.Commands;

internal static class ExportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var days = new Option<int>("--days") { Description = "How many UTC days, today included.", DefaultValueFactory = _ => 30 };
        var format = new Option<string>("--format") { Description = "csv, json or xlsx.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json", "xlsx");
        var file = new Option<string>("--output", "-o") { Description = "File to write; '-' for standard output.", Required = true };
        var allApps = new Option<bool>("--all-apps") { Description = "Export every app's rows, not just UsageTracking:AppName." };
        var user = new Option<string?>("--user") { Description = "Only this user's rows." };
        var flatten = new Option<bool>("--flatten-properties") { Description = "One column per properties key (nested keys joined with '.'), instead of the JSON text." };
        var command = new Command("export", "Stream rows to a CSV, JSON or Excel file, oldest first.") { days, format, file, allApps, user, flatten };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(days);
            if (n < 1)
            {
                throw new CliUsageException("--days must be 1 or more.");
            }

            var path = parse.GetRequiredValue(file);
            await using var host = CliHost.Create(parse);
            await host.EnsureStoreAsync(ct);
            var query = UsageQuery.LastDays(n, DateTimeOffset.UtcNow, parse.GetValue(allApps) ? null : host.Options.AppName, host.StoredUser(parse.GetValue(user)));
            var reader = host.Require<IUsageReader>("read events back");
            var rows = reader.ReadEventsAsync(query, ct);
            // Flattened CSV needs every key for its header first: one pass to collect them, one to write.
            IReadOnlyList<string>? keys = parse.GetValue(flatten)
                ? await PropertyColumns.CollectKeysAsync(reader.ReadEventsAsync(query, ct), ct)
                : null;
            var toStdout = path == "-";
            await using var stream = toStdout ? Console.OpenStandardOutput() : File.Create(path);
            var exportFormat = UsageExport.ParseFormat(parse.GetValue(format)) ?? ExportFormat.Csv;
            if (exportFormat == ExportFormat.Xlsx && toStdout)
            {
                throw new CliUsageException("An Excel workbook cannot go to standard output; give --output a file name.");
            }

            long written;
            var interactive = !toStdout && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            if (interactive)
            {
                var total = (await host.Analytics.GetStatsAsync(query, ct)).TotalEvents;
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
                written = 0;
                await console.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask($"Exporting to {Markup.Escape(path)}", maxValue: Math.Max(1, total));
                    written = await UsageExport.WriteAsync(stream, rows, exportFormat, keys, count => task.Value = count, ct);
                    task.Value = task.MaxValue;
                });
            }
            else
            {
                written = await UsageExport.WriteAsync(stream, rows, exportFormat, keys, null, ct);
            }

            if (!toStdout)
            {
                await output.WriteLineAsync($"Exported {written:N0} rows to {path}.");
            }

            return UsageCli.Ok;
        });
        return command;
    }
}

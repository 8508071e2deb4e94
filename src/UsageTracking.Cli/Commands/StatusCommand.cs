using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using UsageTracking.Reporting.Alerts;

namespace UsageTracking.Cli.Commands;

/// <summary>
/// An operator's look at one app's usage tracking: is the store reachable, what it holds and when it last received an
/// event, what waits in the spool and the quarantine, today's counts, and which of the configured alert rules
/// (<c>Alerts:Rules</c>) are over their levels now. Exit code 1 when the store cannot be reached.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(TextWriter output)
    {
        var json = new Option<bool>("--json") { Description = "Print the status as JSON." };
        var command = new Command("status", "Show the store, the spool and today's counts for this app.") { json };
        command.SetAction(async (parse, ct) =>
        {
            var spool = UsageSpool.Inspect(CliHost.ReadOptions(parse));
            await using var host = CliHost.Create(parse);
            string? storeError = null;
            TableExtent? table = null;
            TableExtent? app = null;
            UsageStats? today = null;
            IReadOnlyList<AlertStatus> alerts = [];
            try
            {
                await host.EnsureStoreAsync(ct);
                var reader = host.Require<IUsageReader>("read the store");
                table = await reader.GetExtentAsync(null, ct);
                app = await reader.GetExtentAsync(host.Options.AppName, ct);
                today = await host.Analytics.GetStatsAsync(UsageQuery.LastDays(1, DateTimeOffset.UtcNow, host.Options.AppName), ct);
                alerts = await FiringAsync(host, ct);
            }
            catch (Exception ex) when (UsageCli.Describe(ex) is { } message && ex is not OperationCanceledException)
            {
                storeError = message;
            }

            var status = new Status(
                host.Options.AppName,
                new StoreStatus(host.Store.Description, storeError is null, storeError, table?.Rows, app?.Rows, app?.Newest),
                new SpoolStatus(spool.Directory, spool.Files, spool.Events, spool.Bytes, spool.Oldest, spool.Quarantined, spool.UnreadableLines + spool.QuarantinedLines),
                today is null ? null : new TodayStatus(today.TotalEvents, today.DistinctUsers, today.ErrorCount,
                    today.TotalEvents == 0 ? 0 : Math.Round((double)today.ErrorCount / today.TotalEvents, 4)),
                alerts);
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(status, CliOutput.Json));
            }
            else
            {
                Write(output, status);
            }

            return storeError is null ? UsageCli.Ok : UsageCli.Failure;
        });
        return command;
    }

    private static void Write(TextWriter output, Status status)
    {
        var console = CliOutput.Console(output);
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("App", Markup.Escape(status.App));
        grid.AddRow("Store", Markup.Escape(status.Store.Description));
        grid.AddRow("Reachable", status.Store.Reachable ? "[green]yes[/]" : $"[red]no[/]: {Markup.Escape(status.Store.Error ?? "")}");
        if (status.Store.Reachable)
        {
            grid.AddRow("Rows", $"{status.Store.Rows:N0} in the table, {status.Store.AppRows:N0} of this app");
            grid.AddRow("Newest event", status.Store.Newest is { } newest ? $"{newest:yyyy-MM-dd HH:mm:ss} UTC ({Ago(DateTimeOffset.UtcNow - newest)} ago)" : "none yet");
        }

        var spool = status.Spool;
        grid.AddRow("Spool", spool.Events == 0 ? "[green]empty[/]"
            : $"[yellow]{spool.Events:N0} events waiting[/] in {spool.Files} files ({spool.Bytes:N0} bytes){(spool.Oldest is { } oldest ? $", oldest {oldest:yyyy-MM-dd HH:mm} UTC" : "")}");
        grid.AddRow("Quarantine", spool.Quarantined + spool.UnreadableLines == 0 ? "empty"
            : $"[yellow]{spool.Quarantined:N0} events the store refused, {spool.UnreadableLines:N0} unreadable lines[/] in {Markup.Escape(Path.Combine(spool.Directory, "quarantine"))}");
        if (status.Today is { } today)
        {
            grid.AddRow("Today (UTC)", $"{today.Events:N0} events, {today.Users:N0} users, {today.Errors:N0} errors ({today.ErrorRate:P1})");
        }

        if (status.Store.Reachable)
        {
            grid.AddRow("Alerts firing", status.Alerts.Count == 0 ? "[green]none[/]"
                : string.Join("\n", status.Alerts.Select(a => $"{(a.Severity == "critical" ? "[red]" : "[yellow]")}{Markup.Escape(a.Text)}[/]")));
        }

        console.Write(grid);
    }

    // The rules are evaluated once, now, as the app's alert service would on its next tick (it keeps no shared state).
    private static async Task<IReadOnlyList<AlertStatus>> FiringAsync(CliHost host, CancellationToken cancellationToken)
    {
        var options = host.Configuration.GetSection(AlertOptions.SectionName).Get<AlertOptions>() ?? new AlertOptions();
        if (options.Rules.Count == 0)
        {
            return [];
        }

        var evaluator = new AlertEvaluator(host.Analytics, options, NullLogger.Instance);
        var notifications = await evaluator.EvaluateAsync(DateTimeOffset.UtcNow, cancellationToken);
        return notifications.Select(n => new AlertStatus(n.Rule, n.Severity.ToString().ToLowerInvariant(), double.IsFinite(n.Value) ? n.Value : null, n.Threshold, n.Text)).ToList();
    }

    private static string Ago(TimeSpan span) => span.TotalMinutes < 1 ? "under a minute" : span.TotalHours < 1 ? $"{span.TotalMinutes:N0} min"
        : span.TotalDays < 1 ? $"{span.TotalHours:N1} h" : $"{span.TotalDays:N1} days";

    private sealed record Status(string App, StoreStatus Store, SpoolStatus Spool, TodayStatus? Today, IReadOnlyList<AlertStatus> Alerts);

    private sealed record AlertStatus(string Rule, string Severity, double? Value, double Threshold, string Text);

    private sealed record StoreStatus(string Description, bool Reachable, string? Error, long? Rows, long? AppRows, DateTimeOffset? Newest);

    private sealed record SpoolStatus(string Directory, int Files, long Events, long Bytes, DateTimeOffset? Oldest, long Quarantined, long UnreadableLines);

    private sealed record TodayStatus(long Events, long Users, long Errors, double ErrorRate);
}

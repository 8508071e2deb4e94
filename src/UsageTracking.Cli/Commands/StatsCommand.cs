using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace UsageTracking.Cli.Commands;

internal static class StatsCommand
{
    public static Command Create(TextWriter output)
    {
        var user = new Option<string?>("--user") { Description = "Only this user's events." };
        var days = new Option<int>("--days") { Description = "How many UTC days, today included.", DefaultValueFactory = _ => 30 };
        var format = new Option<string>("--format") { Description = "table or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var allApps = new Option<bool>("--all-apps") { Description = "Summarise every app in the table, not just UsageTracking:AppName." };
        var command = new Command("stats", "Summarise usage: totals, users, errors, actions and days.") { user, days, format, allApps };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(days);
            if (n < 1)
            {
                throw new CliUsageException("--days must be 1 or more.");
            }

            await using var host = CliHost.Create(parse);
            await host.EnsureStoreAsync(ct);
            var stats = await host.Analytics.GetStatsAsync(
                UsageQuery.LastDays(n, DateTimeOffset.UtcNow, parse.GetValue(allApps) ? null : host.Options.AppName, host.StoredUser(parse.GetValue(user))), ct);
            if (parse.GetValue(format) == "json")
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(stats, CliOutput.Json));
                return UsageCli.Ok;
            }

            var console = CliOutput.Console(output);
            console.MarkupLineInterpolated($"[bold]{stats.AppName ?? "all apps"}[/], last {n} days{(stats.User is null ? "" : $", user {stats.User}")}");
            console.MarkupLineInterpolated($"Events: [bold]{stats.TotalEvents:N0}[/]  Users: [bold]{stats.DistinctUsers:N0}[/]  Errors: [bold]{stats.ErrorCount:N0}[/]");
            var actions = new Table().AddColumn("Action").AddColumn(new TableColumn("Count").RightAligned());
            foreach (var a in stats.ByAction)
            {
                actions.AddRow(Markup.Escape(a.Action), a.Count.ToString("N0"));
            }

            var daysTable = new Table().AddColumn("Day").AddColumn(new TableColumn("Events").RightAligned()).AddColumn(new TableColumn("Users").RightAligned());
            foreach (var d in stats.ByDay)
            {
                daysTable.AddRow(d.Day.ToString("yyyy-MM-dd"), d.Count.ToString("N0"), d.DistinctUsers.ToString("N0"));
            }

            console.Write(actions);
            console.Write(daysTable);
            return UsageCli.Ok;
        });
        return command;
    }
}

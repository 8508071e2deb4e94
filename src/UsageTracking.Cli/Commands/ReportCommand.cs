using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using UsageTracking.Analytics;
using UsageTracking.Reporting;

namespace UsageTracking.Cli.Commands;

internal static class ReportCommand
{
    public static Command Create(TextWriter output)
    {
        var days = new Option<int>("--days") { Description = "How many days back from now.", DefaultValueFactory = _ => 7 };
        var file = new Option<string>("--output", "-o") { Description = "The HTML file to write.", DefaultValueFactory = _ => "dashboard.html" };
        var json = new Option<bool>("--json") { Description = "Also write the numbers behind the report next to it (same name, .json)." };
        var allApps = new Option<bool>("--all-apps") { Description = "Report on every app in the table, not just UsageTracking:AppName." };
        var user = new Option<string?>("--user") { Description = "Only this user's events." };
        var command = new Command("report", "Write a self-contained HTML report (charts inline, opens offline) of the dashboard's panels.") { days, file, json, allApps, user };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(days);
            if (n is < 1 or > 3650)
            {
                throw new CliUsageException("--days must be from 1 to 3650.");
            }

            var path = parse.GetValue(file)!;
            await using var host = CliHost.Create(parse);
            await host.EnsureStoreAsync(ct);
            var watch = Stopwatch.StartNew();
            var app = parse.GetValue(allApps) ? null : host.Options.AppName;
            var dashboard = await host.Analytics.GetDashboardAsync(
                DashboardQuery.Last(TimeSpan.FromDays(n), DateTimeOffset.UtcNow, app, host.StoredUser(parse.GetValue(user))), ct);
            var document = new DashboardDocument(dashboard, host.Options.RetentionDays, $"Usage report: {app ?? "all apps"}, last {n} days")
            {
                Thresholds = host.Configuration.GetSection(KpiThresholds.SectionName).Get<KpiThresholds>(),
            };
            await File.WriteAllTextAsync(path, HtmlReport.Render(document), ct);
            var written = $"Wrote the report of {dashboard.Kpis.Events:N0} events to {path}";
            if (parse.GetValue(json))
            {
                var jsonPath = Path.ChangeExtension(path, ".json");
                await File.WriteAllTextAsync(jsonPath, HtmlReport.ToJson(document), ct);
                written += $" and its numbers to {jsonPath}";
            }

            await output.WriteLineAsync($"{written} in {watch.Elapsed.TotalSeconds:0.0} s.");
            return UsageCli.Ok;
        });
        return command;
    }
}

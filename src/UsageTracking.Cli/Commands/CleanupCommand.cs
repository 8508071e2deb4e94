using System.CommandLine;

namespace UsageTracking.Cli.Commands;

internal static class CleanupCommand
{
    public static Command Create(TextWriter output)
    {
        var olderThan = new Option<int?>("--older-than-days") { Description = "Delete rows older than this many days; default UsageTracking:RetentionDays (180)." };
        var allApps = new Option<bool>("--all-apps") { Description = "Delete every app's old rows, not just UsageTracking:AppName's." };
        var command = new Command("cleanup", "Delete this app's rows past the retention period.") { olderThan, allApps };
        command.SetAction(async (parse, ct) =>
        {
            await using var host = CliHost.Create(parse);
            var days = parse.GetValue(olderThan) ?? host.Options.RetentionDays;
            if (days < 1)
            {
                throw new CliUsageException("--older-than-days must be 1 or more (RetentionDays 0 means keep everything).");
            }

            await host.EnsureStoreAsync(ct);
            var cutoff = DateTimeOffset.UtcNow.AddDays(-days);
            var app = parse.GetValue(allApps) ? null : host.Options.AppName;
            var deleted = await host.Require<IUsageRetention>("delete rows").DeleteOlderThanAsync(cutoff, app, ct);
            await output.WriteLineAsync($"Deleted {deleted:N0} rows of {(app is null ? "every app" : $"app {app}")} older than {cutoff:yyyy-MM-dd HH:mm} UTC ({days} days).");
            return UsageCli.Ok;
        });
        return command;
    }
}

using System.CommandLine;

namespace UsageTracking.Cli.Commands;

internal static class SpoolCommand
{
    public static Command Create(TextWriter output)
    {
        var status = new Command("status", "Show what waits in the spool and the quarantine.");
        status.SetAction(async (parse, ct) =>
        {
            var report = UsageSpool.Inspect(CliHost.ReadOptions(parse));
            await output.WriteLineAsync($"Spool folder: {report.Directory}");
            await output.WriteLineAsync($"Waiting: {report.Files} files, {report.Bytes:N0} bytes, {report.Events:N0} events"
                + (report.UnreadableLines > 0 ? $" and {report.UnreadableLines:N0} unreadable lines (set aside in the quarantine at the next replay)" : "")
                + (report.FilesInUse > 0 ? $"; {report.FilesInUse} files in use by a running app, not counted" : "")
                + (report.Oldest is { } oldest ? $"; oldest from {oldest:yyyy-MM-dd HH:mm:ss} UTC." : "."));
            await output.WriteLineAsync($"Quarantined: {report.Quarantined:N0} events the store refused, {report.QuarantinedLines:N0} unreadable spool lines"
                + (report.Quarantined + report.QuarantinedLines > 0 ? $", in {Path.Combine(report.Directory, "quarantine")}." : "."));
            return UsageCli.Ok;
        });

        var timeout = new Option<int>("--timeout") { Description = "Seconds to keep trying.", DefaultValueFactory = _ => 60 };
        var replay = new Command("replay", "Write what waits in the spool to the store now.") { timeout };
        replay.SetAction(async (parse, ct) =>
        {
            await using var host = CliHost.Create(parse);
            await host.EnsureStoreAsync(ct);
            var deadline = DateTimeOffset.UtcNow.AddSeconds(Math.Max(1, parse.GetValue(timeout)));
            var health = host.Tracker.GetHealth();
            while (health.SpoolFiles > 0 && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
                health = host.Tracker.GetHealth();
            }

            await output.WriteLineAsync($"Replayed {health.Replayed:N0} events ({health.Replayed - health.AlreadyPresent:N0} written, {health.AlreadyPresent:N0} already in the store)"
                + (health.UnreadableSpoolLines > 0 ? $", set aside {health.UnreadableSpoolLines:N0} unreadable lines in the quarantine" : "")
                + $"; {health.SpoolFiles} spool files remain."); 
            if (health.SpoolFiles > 0)
            {
                throw new UsageStoreException($"The spool could not be emptied: {health.LastError ?? "the store is still refusing writes"}.");
            }

            return UsageCli.Ok;
        });

        return new Command("spool", "Inspect or replay the on-disk spool.") { status, replay };
    }
}

using System.CommandLine;

namespace UsageTracking.Cli.Commands;

internal static class SpoolCommand
{
    public static Command Create(TextWriter output)
    {
        var status = new Command("status", "Show what waits in the spool and the quarantine.");
        status.SetAction(async (parse, ct) =>
        {
            var options = CliHost.ReadOptions(parse);
            var folder = new DirectoryInfo(options.ResolvedSpoolDirectory);
            var files = folder.Exists ? folder.GetFiles("*.jsonl") : [];
            var quarantine = new DirectoryInfo(Path.Combine(folder.FullName, "quarantine"));
            var quarantined = quarantine.Exists ? quarantine.GetFiles("*.jsonl").Sum(f => CountLines(f.FullName)) : 0;
            await output.WriteLineAsync($"Spool folder: {folder.FullName}");
            await output.WriteLineAsync($"Waiting: {files.Length} files, {files.Sum(f => f.Length):N0} bytes, {files.Sum(f => CountLines(f.FullName)):N0} events"
                + (files.Length > 0 ? $", oldest from {files.Min(f => f.LastWriteTimeUtc):yyyy-MM-dd HH:mm:ss} UTC." : "."));
            await output.WriteLineAsync($"Quarantined: {quarantined:N0} events{(quarantined > 0 ? $" in {quarantine.FullName}" : "")}.");
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

            await output.WriteLineAsync($"Replayed {health.Replayed:N0} events; {health.SpoolFiles} spool files remain.");
            if (health.SpoolFiles > 0)
            {
                throw new UsageStoreException($"The spool could not be emptied: {health.LastError ?? "the store is still refusing writes"}.");
            }

            return UsageCli.Ok;
        });

        return new Command("spool", "Inspect or replay the on-disk spool.") { status, replay };
    }

    private static long CountLines(string path)
    {
        try
        {
            return File.ReadLines(path).LongCount(l => l.Length > 0);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

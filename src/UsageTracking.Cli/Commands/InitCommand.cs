using System.CommandLine;

namespace UsageTracking.Cli.Commands;

internal static class InitCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("init", "Create the usage table (or add the extended columns to a 4-column one) and print where it is.");
        command.SetAction(async (parse, ct) =>
        {
            await using var host = CliHost.Create(parse);
            var mode = await host.EnsureStoreAsync(ct);
            await output.WriteLineAsync($"Usage table ready: {host.Store.Description}, schema {mode}.");
            await output.WriteLineAsync($"Spool folder: {host.Tracker.SpoolDirectory}");
            return UsageCli.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using System.Diagnostics;

namespace UsageTracking.Cli.Commands;

internal static class RebuildRollupsCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("rebuild-rollups", "Recount the SQLite store's rollups from its rows (after rows were written or deleted by other tools).");
        command.SetAction(async (parse, ct) =>
        {
            await using var host = CliHost.Create(parse);
            var rollups = host.Require<IUsageRollups>("rebuild rollups (only the SQLite store keeps rollups that other tools' writes can leave behind)");
            await host.EnsureStoreAsync(ct);
            var watch = Stopwatch.StartNew();
            await rollups.RebuildRollupsAsync(ct);
            await output.WriteLineAsync($"Rebuilt the rollups of {host.Options.TableName} in {watch.Elapsed.TotalSeconds:0.0} s.");
            return UsageCli.Ok;
        });
        return command;
    }
}

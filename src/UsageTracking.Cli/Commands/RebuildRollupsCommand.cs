using System.CommandLine;
using System.Diagnostics;
using UsageTracking.Sqlite;

namespace UsageTracking.Cli.Commands;

internal static class RebuildRollupsCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("rebuild-rollups", "Recount the SQLite store's rollups from its rows (after rows were written or deleted by other tools).");
        command.SetAction(async (parse, ct) =>
        {
            await using var host = CliHost.Create(parse);
            if (host.Store is not SqliteUsageStore sqlite)
            {
                throw new CliUsageException($"Only the SQLite store keeps rollups this command rebuilds; {host.Store.Description} keeps its own.");
            }

            await host.EnsureStoreAsync(ct);
            var watch = Stopwatch.StartNew();
            await sqlite.RebuildRollupsAsync(ct);
            await output.WriteLineAsync($"Rebuilt the rollups of {sqlite.TableName} in {watch.Elapsed.TotalSeconds:0.0} s.");
            return UsageCli.Ok;
        });
        return command;
    }
}

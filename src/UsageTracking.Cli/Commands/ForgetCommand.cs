using System.CommandLine;

namespace UsageTracking.Cli.Commands;

internal static class ForgetCommand
{
    public static Command Create(TextWriter output)
    {
        var users = new Option<string[]>("--user") { Description = "A user to erase (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = true };
        var yes = new Option<bool>("--yes") { Description = "Confirm: the rows are deleted for good." };
        var command = new Command("forget", "Erase users' rows from the store, the spool and the quarantine (right to erasure).") { users, yes };
        command.SetAction(async (parse, ct) =>
        {
            var list = parse.GetRequiredValue(users);
            if (!parse.GetValue(yes))
            {
                throw new CliUsageException($"This deletes every row of {string.Join(", ", list)} for good; add --yes to go ahead.");
            }

            await using (var host = CliHost.Create(parse))
            {
                var result = await UsageErasure.ForgetAsync(host.Options, host.Require<IUsageRetention>("delete rows"), list, ct);
                await output.WriteLineAsync($"Erased {result.StoreRows:N0} rows from {host.Store.Description} and {result.SpoolEvents:N0} events from the spool and quarantine.");
                if (result.SpoolFilesInUse > 0)
                {
                    throw new UsageStoreException($"{result.SpoolFilesInUse} spool files were in use by a running app and were left as they are; run forget again once it has stopped.");
                }
            }

            return UsageCli.Ok;
        });
        return command;
    }
}

using System.CommandLine;

namespace UsageTracking.Cli.Commands;

internal static class TrackCommand
{
    public static Command Create(TextWriter output)
    {
        var user = new Option<string>("--user") { Description = "Who did it (an e-mail address).", Required = true };
        var action = new Option<string>("--action") { Description = "What was done, e.g. execute_sql.", Required = true };
        var detail = new Option<string?>("--detail") { Description = "Free text stored in the detail column." };
        var session = new Option<string?>("--session") { Description = "Session id." };
        var command = new Command("track", "Record one action.") { user, action, detail, session };
        command.SetAction(async (parse, ct) =>
        {
            var e = new UsageEvent
            {
                User = parse.GetRequiredValue(user),
                Action = parse.GetRequiredValue(action),
                Detail = parse.GetValue(detail),
                SessionId = parse.GetValue(session),
            };
            return await Deliver.OneAsync(parse, output, t => t.Track(e), $"Tracked {e.Action} for {e.User}.", ct);
        });
        return command;
    }
}

internal static class ErrorCommand
{
    public static Command Create(TextWriter output)
    {
        var user = new Option<string>("--user") { Description = "Who met the error.", Required = true };
        var type = new Option<string>("--type") { Description = "Error type, e.g. sql_error.", Required = true };
        var message = new Option<string>("--message") { Description = "What went wrong.", Required = true };
        var command = new Command("error", "Record one error.") { user, type, message };
        command.SetAction(async (parse, ct) =>
        {
            var (u, t, m) = (parse.GetRequiredValue(user), parse.GetRequiredValue(type), parse.GetRequiredValue(message));
            return await Deliver.OneAsync(parse, output, tracker => tracker.TrackError(u, t, m), $"Tracked {t} for {u}.", ct);
        });
        return command;
    }
}

/// <summary>Tracks through the SDK and waits for the write, so the command's exit code tells whether the row landed.</summary>
internal static class Deliver
{
    public static async Task<int> OneAsync(ParseResult parse, TextWriter output, Action<IUsageTracker> track, string success, CancellationToken ct)
    {
        await using var host = CliHost.Create(parse);
        await host.EnsureStoreAsync(ct);
        track(host.Tracker);
        var result = await host.Tracker.FlushAsync(ct);
        if (result.Written >= 1)
        {
            await output.WriteLineAsync(success);
            return UsageCli.Ok;
        }

        throw new UsageStoreException(result.Quarantined > 0
            ? $"The store refused the event; it is kept in {Path.Combine(host.Tracker.SpoolDirectory, "quarantine")}."
            : $"The store did not take the event ({host.Tracker.GetHealth().LastError ?? "no answer"}); it is spooled in {host.Tracker.SpoolDirectory} and will be written later.");
    }
}

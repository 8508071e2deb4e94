using System.CommandLine;

namespace UsageTracking.Cli.Commands;

internal static class SelftestCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("selftest", "Track a test action and error, read them back, and print one pass/fail line per check.");
        command.SetAction(async (parse, ct) =>
        {
            var failures = 0;
            async Task Check(string name, Func<Task<string>> check)
            {
                try
                {
                    var detail = await check();
                    await output.WriteLineAsync($"PASS  {name}{(detail.Length > 0 ? $": {detail}" : "")}");
                }
                catch (Exception ex)
                {
                    failures++;
                    await output.WriteLineAsync($"FAIL  {name}: {UsageCli.Describe(ex)}");
                }
            }

            await using var host = CliHost.Create(parse);
            var user = $"selftest+{Guid.NewGuid():N}"[..21] + "@usage-tracking.local";
            var reachable = false;
            await Check("store reachable", async () =>
            {
                var mode = await host.EnsureStoreAsync(ct);
                reachable = true;
                return $"{host.Store.Description}, schema {mode}";
            });
            await Check("spool writable", () =>
            {
                Directory.CreateDirectory(host.Tracker.SpoolDirectory);
                var probe = Path.Combine(host.Tracker.SpoolDirectory, $".probe-{Environment.ProcessId}");
                File.WriteAllText(probe, "ok");
                File.Delete(probe);
                return Task.FromResult(host.Tracker.SpoolDirectory);
            });
            if (reachable)
            {
                await Check("track action", async () =>
                {
                    host.Tracker.TrackUserAction(user, Actions.AppStart);
                    return Expect((await host.Tracker.FlushAsync(ct)).Written == 1, $"{Actions.AppStart} written for {user}");
                });
                await Check("track error", async () =>
                {
                    host.Tracker.TrackError(user, Actions.AppError, "selftest error");
                    return Expect((await host.Tracker.FlushAsync(ct)).Written == 1, $"{Actions.AppError} written");
                });
                await Check("stats read back", async () =>
                {
                    var stats = await host.Tracker.GetUsageStatsAsync(user, 1, ct);
                    var ok = stats.TotalEvents == 2 && stats.ErrorCount == 1 && stats.DistinctUsers == 1
                        && stats.ByAction.Any(a => a.Action == Actions.AppStart && a.Count == 1);
                    return Expect(ok, $"{stats.TotalEvents} events, {stats.ErrorCount} error, {stats.DistinctUsers} user");
                });
            }

            await output.WriteLineAsync(failures == 0 ? "selftest passed" : $"selftest failed: {failures} check(s) failed");
            return failures == 0 ? UsageCli.Ok : UsageCli.Failure;
        });
        return command;
    }

    private static string Expect(bool ok, string detail) =>
        ok ? detail : throw new InvalidOperationException($"unexpected result ({detail})");
}

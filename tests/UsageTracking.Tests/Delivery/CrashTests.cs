using System.Diagnostics;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>A real child process (tests/UsageTracking.CrashHost) tracks events and is killed or exits abruptly.</summary>
public sealed class CrashTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task DurableModeChildKilledWithSigkill_EveryAcknowledgedEventIsPresentAfterRestart()
    {
        long acknowledged;
        using (var child = StartChild("kill"))
        {
            acknowledged = await ReadAcknowledgedAsync(child, atLeast: 20_000);
            child.Kill(); // SIGKILL on Linux: no finaliser, no ProcessExit, no flush.
            await child.WaitForExitAsync();
        }

        // The journal holds what the child had not yet written; a new tracker replays it.
        await using var tracker = Tracking.Create(_folder, o => o.AppName = "crash-host");
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0), "the journal should be replayed");

        var missing = Tracking.Scalar(_folder, $"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {acknowledged})
            SELECT COUNT(*) FROM n WHERE CAST(i AS TEXT) NOT IN (SELECT detail FROM central_app_usage WHERE action = 'crash_test')
            """);
        Assert.Equal(0, missing);
        Assert.Equal(
            Tracking.Scalar(_folder, "SELECT COUNT(DISTINCT detail) FROM central_app_usage"),
            Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage"));
    }

    [Fact(Timeout = 120_000)]
    public async Task ChildCallingEnvironmentExitWithoutDispose_StillWritesEverything()
    {
        using (var child = StartChild("exit", "20000"))
        {
            var acknowledged = await ReadAcknowledgedAsync(child, atLeast: 20_000);
            Assert.Equal(20_000, acknowledged);
            await child.WaitForExitAsync();
        }

        Assert.Equal(20_000, Tracking.Rows(_folder));
    }

    private Process StartChild(string mode, params string[] extra)
    {
        // The child runs from its own build folder (same configuration and framework as this test assembly).
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var host = Repository.Path("tests", "UsageTracking.CrashHost", "bin", framework.Parent!.Name, framework.Name, "UsageTracking.CrashHost.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { host, mode, _folder.Database, _folder.Spool }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    private static async Task<long> ReadAcknowledgedAsync(Process child, long atLeast)
    {
        long acknowledged = 0;
        while (acknowledged < atLeast && await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("acked ", StringComparison.Ordinal))
            {
                acknowledged = long.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.True(acknowledged >= atLeast, $"the child acknowledged only {acknowledged} events");
        return acknowledged;
    }
}

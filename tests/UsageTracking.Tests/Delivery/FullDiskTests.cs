using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>The database and the spool on a disk that fills up: nothing is lost silently, and what was kept lands once there is room.</summary>
public sealed class FullDiskTests
{
    [TmpfsFact(Timeout = 120_000)]
    public async Task DiskFills_EventsWaitInMemory_AndAllLandWhenSpaceReturns()
    {
        using var disk = new Tmpfs("2048");
        var database = Path.Combine(disk.Path, "usage.db");
        await using var tracker = UsageTracker.Create(new UsageTrackingOptions
        {
            AppName = "full-disk",
            ConnectionString = database,
            SpoolDirectory = Path.Combine(disk.Path, "spool"),
            DataDirectory = disk.Path,
            RetryBudget = TimeSpan.FromMilliseconds(200),
            BreakDuration = TimeSpan.FromMilliseconds(500),
            FlushInterval = TimeSpan.FromMilliseconds(50),
            ShutdownTimeout = TimeSpan.FromSeconds(20),
        });
        for (var i = 0; i < 50_000; i++)
        {
            tracker.TrackUserAction($"user{i % 40}@example.com", Actions.ExecuteSql, $"session-{i % 700}", i % 900, null);
        }

        var flush = await tracker.FlushAsync();
        var full = tracker.GetHealth();
        Assert.False(flush.Completed, "the disk cannot hold 50,000 events with their indexes and rollups");
        Assert.Empty(full.Dropped);
        Assert.True(full.QueueDepth > 0, "what neither the store nor the spool could take waits in memory");

        disk.Resize("262144");
        var after = await tracker.FlushAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !after.Completed && DateTime.UtcNow < deadline; after = await tracker.FlushAsync())
        {
            await Task.Delay(200);
        }

        Assert.True(after.Completed, $"flush: {after}");
        Assert.Empty(tracker.GetHealth().Dropped);
        Assert.Equal(50_000, Tracking.Scalar(database, "SELECT COUNT(*) FROM central_app_usage"));
    }

    [TmpfsFact(Timeout = 120_000)]
    public async Task GenerateOnAFullDisk_SaysOnStderrWhatWasLost_AndExitsNonZero()
    {
        using var disk = new Tmpfs("2048");
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await UsageTracking.Cli.UsageCli.RunAsync(
            ["generate", "--events", "50000", "--connection", Path.Combine(disk.Path, "usage.db"), "--spool-dir", Path.Combine(disk.Path, "spool"), "--app", "full-disk"],
            output, error);

        Assert.Equal(1, code);
        var said = error.ToString().Trim();
        Assert.Matches(@"^[\d,]+ events were lost \(", said);
        Assert.DoesNotContain("\n", said);
        Assert.DoesNotContain("   at ", said);
        var rows = Tracking.Scalar(Path.Combine(disk.Path, "usage.db"), "SELECT COUNT(*) FROM central_app_usage");
        Assert.Contains($"{rows:N0} written", output.ToString());
    }
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>The spool's replay: partial progress, torn files, other processes' files and observability.</summary>
public sealed class SpoolTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task ReplayFailingHalfwayOnSeedTable_ResumesWithoutDuplicates()
    {
        // The seed's 4-column table cannot deduplicate: a replay that re-sent the written half would double it.
        Tracking.Execute(_folder.Database, "CREATE TABLE central_app_usage (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING)");
        await SpoolEventsAsync(3_000);

        var store = new FaultyStore(Tracking.Store(_folder));
        var calls = 0;
        store.Throw = () => Interlocked.Increment(ref calls) == 2 ? new SimulatedOutageException() : null;
        await using var tracker = Tracking.Create(_folder, o => { o.AllowSchemaUpgrade = false; o.BatchSize = 1_000; o.RetryBudget = TimeSpan.Zero; }, store);

        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0), "the spool should drain");
        Assert.Equal(3_000, Tracking.Rows(_folder));
        Assert.True(calls >= 4, "the second write should have failed and been resumed");
    }

    [Fact(Timeout = 60_000)]
    public async Task UnreadableLines_AreQuarantinedWithFileAndLine_TheRestLands()
    {
        await SpoolEventsAsync(100);
        // The writer may have cut the burst into more than one batch file: damage the newest.
        var file = Directory.GetFiles(_folder.Spool, "*.jsonl").Order(StringComparer.Ordinal).Last();
        var lines = File.ReadAllLines(file).ToList();
        lines.Insert(1, "not json at all");
        File.WriteAllText(file, string.Join("\n", lines) + "\n{\"id\":\"0190-torn\",\"ts\":\"2026-");

        var report = UsageSpool.Inspect(Tracking.Options(_folder));
        Assert.Equal((100L, 2L), (report.Events, report.UnreadableLines));

        await using var tracker = Tracking.Create(_folder);
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 100));
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0));
        Assert.Equal(2, tracker.GetHealth().UnreadableSpoolLines);

        var quarantined = Directory.GetFiles(Path.Combine(_folder.Spool, "quarantine"), "*.jsonl").SelectMany(File.ReadAllLines)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var name = Path.GetFileName(file);
        Assert.Equal([$"{name}:2", $"{name}:{lines.Count + 1}"], quarantined.Select(q => q.GetProperty("source").GetString()));
        Assert.Equal("not json at all", quarantined[0].GetProperty("line").GetString());
        Assert.Equal("unreadable spool line", quarantined[0].GetProperty("reason").GetString());
        var after = UsageSpool.Inspect(Tracking.Options(_folder));
        Assert.Equal((0, 0L, 2L), (after.Files, after.Quarantined, after.QuarantinedLines));
    }

    [Fact(Timeout = 60_000)]
    public async Task SpoolLineWithAByteOrderMark_IsRead()
    {
        await SpoolEventsAsync(10);
        // As an editor saving the files as "UTF-8 with BOM" would leave them.
        foreach (var file in Directory.GetFiles(_folder.Spool, "*.jsonl"))
        {
            File.WriteAllText(file, File.ReadAllText(file), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        }

        Assert.Equal((10L, 0L), (UsageSpool.Inspect(Tracking.Options(_folder)).Events, UsageSpool.Inspect(Tracking.Options(_folder)).UnreadableLines));
        await using var tracker = Tracking.Create(_folder);
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 10));
        Assert.Equal(0, tracker.GetHealth().UnreadableSpoolLines);
    }

    [Fact(Timeout = 60_000)]
    public async Task ReplayOfEventsTheStoreAlreadyHas_CountsThemApart()
    {
        await SpoolEventsAsync(50);
        // Every file twice: as after a write whose reply was lost, then replayed.
        foreach (var (file, i) in Directory.GetFiles(_folder.Spool, "*.jsonl").Select((f, i) => (f, i)))
        {
            File.Copy(file, Path.Combine(_folder.Spool, $"000000000000000000{i}-b-1-{i}.jsonl"));
        }

        await using var tracker = Tracking.Create(_folder);
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0));
        var health = tracker.GetHealth();
        Assert.Equal(50, Tracking.Rows(_folder));
        Assert.Equal((100L, 50L), (health.Replayed, health.AlreadyPresent));
    }

    [Fact(Timeout = 60_000)]
    public async Task SpoolFileLockedByAnotherProcess_IsLeftAlone()
    {
        await SpoolEventsAsync(100);
        var locks = Directory.GetFiles(_folder.Spool, "*.jsonl").Select(f => new FileStream(f, FileMode.Open, FileAccess.ReadWrite, FileShare.None)).ToList();
        try
        {
            await using var tracker = Tracking.Create(_folder);
            await Task.Delay(1_500);
            Assert.Equal(0, Tracking.Rows(_folder));
        }
        finally
        {
            locks.ForEach(l => l.Dispose());
        }

        await using var later = Tracking.Create(_folder);
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 100));
    }

    [Fact(Timeout = 60_000)]
    public async Task SpoolFull_BatchesWaitInMemoryUpToTheQueue_BeyondItAreDroppedLoudly_AndTheRestLandsOnRecovery()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        var logs = new CapturingLoggerProvider();
        await using var tracker = UsageTracker.Create(Tracking.Options(_folder, o =>
        {
            o.SpoolMaxBytes = 64 * 1024;
            o.QueueCapacity = 1_000;
            o.BatchSize = 100;
            o.RetryBudget = TimeSpan.Zero;
        }), logs, store);
        for (var i = 0; i < 5_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var flush = await tracker.FlushAsync();
        var health = tracker.GetHealth();

        // What fits in the spool is there; up to the queue's capacity waits in memory; only the rest is lost, and said so.
        Assert.False(flush.Completed);
        Assert.True(health.SpoolBytes <= 64 * 1024 + 32 * 1024, $"spool holds {health.SpoolBytes} bytes");
        Assert.InRange(health.QueueDepth, 1, 1_000);
        Assert.True(health.Dropped.TryGetValue("spool_full", out var dropped) && dropped > 0, "the overflow beyond memory must be counted");
        Assert.Equal(5_000, health.Spooled + health.QueueDepth + dropped);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("kept in memory", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("dropped (spool_full)", StringComparison.Ordinal));

        // The store comes back: what was spooled and what was held in memory both land.
        store.FailUntil = default;
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 5_000 - dropped, TimeSpan.FromSeconds(30)), $"{Tracking.Rows(_folder)} rows");
        Assert.Equal(0, tracker.GetHealth().QueueDepth);
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_ReportSpooledReplayedAndWritten_OnMeterUsageTracking()
    {
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "UsageTracking")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        var app = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            // Other tests' trackers publish on the same meter name: keep this tracker's measurements only.
            foreach (var tag in tags)
            {
                if (tag.Key == "app_name" && Equals(tag.Value, app))
                {
                    lock (values)
                    {
                        values[instrument.Name] = value;
                    }
                }
            }
        });
        listener.Start();

        var store = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.UtcNow.AddSeconds(1) };
        await using var tracker = Tracking.Create(_folder, o => o.AppName = app, store);
        for (var i = 0; i < 500; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 500));
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0));
        listener.RecordObservableInstruments();

        Assert.Equal(500, values["usage_tracking.events.written"]);
        Assert.Equal(500, values["usage_tracking.events.spooled"]);
        Assert.Equal(500, values["usage_tracking.events.replayed"]);
        Assert.Equal(0, values["usage_tracking.queue.depth"]);
        Assert.True(values["usage_tracking.write.retries"] > 0);
    }

    /// <summary>Puts events in the spool the way a real outage does: a tracker whose store is down, disposed.</summary>
    private async Task SpoolEventsAsync(int count)
    {
        var down = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        await using var tracker = Tracking.Create(_folder, o => { o.BatchSize = count; o.RetryBudget = TimeSpan.Zero; o.FlushInterval = TimeSpan.FromMinutes(5); }, down);
        for (var i = 0; i < count; i++)
        {
            tracker.Track(new UsageEvent { User = $"u{i % 7}@example.com", Action = Actions.ExecuteSql, Detail = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        await tracker.FlushAsync();
        Assert.Equal(count, tracker.GetHealth().Spooled);
    }
}

using System.Diagnostics.Metrics;
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
    public async Task TornLastLine_SkipsOnlyThatLine_AndCountsIt()
    {
        await SpoolEventsAsync(100);
        // The writer may have cut the burst into more than one batch file: tear the newest.
        var file = Directory.GetFiles(_folder.Spool, "*.jsonl").Order(StringComparer.Ordinal).Last();
        File.AppendAllText(file, "{\"id\":\"0190-torn\",\"ts\":\"2026-");

        await using var tracker = Tracking.Create(_folder);
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 100));
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0));
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
    public async Task SpoolFull_NewOverflowIsDroppedAndCounted_NotWritten()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        await using var tracker = Tracking.Create(_folder, o => { o.SpoolMaxBytes = 64 * 1024; o.BatchSize = 100; o.RetryBudget = TimeSpan.Zero; }, store);
        for (var i = 0; i < 5_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        await tracker.FlushAsync();
        var health = tracker.GetHealth();
        Assert.True(health.Dropped.TryGetValue("spool_full", out var dropped) && dropped > 0);
        Assert.True(health.SpoolBytes <= 64 * 1024 + 32 * 1024, $"spool holds {health.SpoolBytes} bytes");
        Assert.Equal(5_000, health.Spooled + dropped);
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

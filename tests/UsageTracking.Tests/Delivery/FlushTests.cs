using UsageTracking.Analytics;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>What a returned flush promises: everything tracked before it is in the store, or the result says what is not.</summary>
public sealed class FlushTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact(Timeout = 180_000)]
    public async Task BurstOverflowingTheQueue_FlushReturnsWithEveryEventInTheStore()
    {
        const int threads = 4, perThread = 50_000;
        // The first write is slow, so the burst meets a full queue however fast this machine drains it.
        var store = new FaultyStore(Tracking.Store(_folder)) { WriteDelay = TimeSpan.FromMilliseconds(500) };
        await using var tracker = Tracking.Create(_folder, o =>
        {
            o.QueueCapacity = 100_000;
            o.ShutdownTimeout = TimeSpan.FromSeconds(90);
        }, store);
        tracker.TrackUserAction("first@example.com", Actions.AppStart);
        await Task.Delay(100);

        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++)
            {
                tracker.TrackUserAction($"user{t}@example.com", Actions.ExecuteSql);
            }
        })));

        store.WriteDelay = TimeSpan.Zero;
        var result = await tracker.FlushAsync();

        Assert.True(tracker.GetHealth().Spooled > 0, "the burst should have overflowed the queue");
        Assert.True(result.Completed, $"flush: {result}");
        Assert.Equal(0, result.Pending);
        Assert.Equal(0, result.OnDisk);
        // Read back as an app would, through the store's reader and the core's stats.
        var reader = Tracking.Store(_folder);
        Assert.Equal(threads * perThread + 1, (await new UsageAnalytics(reader, reader).GetStatsAsync(UsageQuery.LastDays(1, DateTimeOffset.UtcNow, "tests"))).TotalEvents);
        Assert.Equal(threads * perThread + 1, Tracking.Rows(_folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task StoreDown_FlushSaysNotCompleted_AndCountsWhatWaitsOnDisk()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        await using var tracker = Tracking.Create(_folder, o => o.RetryBudget = TimeSpan.FromMilliseconds(200), store);
        for (var i = 0; i < 300; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var result = await tracker.FlushAsync();

        Assert.False(result.Completed, $"flush: {result}");
        Assert.Equal(300, result.OnDisk);
        Assert.Equal(0, Tracking.Rows(_folder));

        // Back up: once the circuit lets a trial write through, a flush replays the spool and says so.
        store.FailUntil = default;
        var recovered = await tracker.FlushAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(20); !recovered.Completed && DateTime.UtcNow < deadline; recovered = await tracker.FlushAsync())
        {
            await Task.Delay(100);
        }

        Assert.True(recovered.Completed, $"flush: {recovered}");
        Assert.Equal(0, recovered.OnDisk);
        Assert.Equal(300, Tracking.Rows(_folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task FlushShorterThanTheWrite_SaysNotCompleted()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { WriteDelay = TimeSpan.FromSeconds(3) };
        await using var tracker = Tracking.Create(_folder, o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300), store);
        tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);

        var result = await tracker.FlushAsync();

        Assert.False(result.Completed);
        Assert.Equal(0, Tracking.Rows(_folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task OverflowWhileTheStoreIsSlow_WaitsInMemoryInChunks_NotAFilePerEvent()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { WriteDelay = TimeSpan.FromSeconds(2) };
        await using var tracker = Tracking.Create(_folder, o => { o.QueueCapacity = 4_000; o.BatchSize = 100; }, store);
        for (var i = 0; i < 24_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        // 20,000 overflowed in chunks of 1,000 (a quarter of the queue): written as about 20 spool files, not 20,000 appends.
        var health = tracker.GetHealth();
        Assert.InRange(health.SpoolFiles, 19, 21);
        Assert.InRange(health.Spooled, 19_000, 20_000);

        store.WriteDelay = TimeSpan.Zero;
        var result = await tracker.FlushAsync();
        Assert.True(result.Completed, $"flush: {result}");
        Assert.Equal(24_000, Tracking.Rows(_folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task TrackAfterDispose_IsWrittenToTheSpool_AndTheNextTrackerDeliversIt()
    {
        var tracker = Tracking.Create(_folder);
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.DisposeAsync();
        tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        Assert.Equal(1, tracker.GetHealth().SpoolFiles);

        await using var next = Tracking.Create(_folder);
        Assert.True((await next.FlushAsync()).Completed);
        Assert.Equal(2, Tracking.Rows(_folder));
    }
}

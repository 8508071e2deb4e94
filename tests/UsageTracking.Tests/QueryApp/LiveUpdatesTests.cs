using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using UsageTracking.Analytics;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The shared live feed: one read a second per app filter, however many dashboards listen.</summary>
public sealed class LiveUpdatesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly List<string?> _reads = [];

    private Task<LiveUpdate> Read(string? app, CancellationToken cancellationToken)
    {
        lock (_reads)
        {
            _reads.Add(app);
        }

        return Task.FromResult(new LiveUpdate(new LiveSnapshot(_time.GetUtcNow(), _reads.Count, 0, []), 0, 0, 0, null, false, new Dictionary<string, long>(), null, null));
    }

    private int ReadsOf(string? app)
    {
        lock (_reads)
        {
            return _reads.Count(r => r == app);
        }
    }

    // The feed runs on the thread pool: wait (up to 5 s) for what a tick does, rather than for a fixed time.
    private static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "the feed did not get there in 5 s");
    }

    [Fact]
    public async Task ManyListeners_OfOneApp_CostOneReadASecond_AndEveryListenerGetsEachUpdate()
    {
        using var live = new LiveUpdates(Read, _time, NullLogger.Instance);
        var received = new int[4];
        var subscriptions = Enumerable.Range(0, 3).Select(i => live.Subscribe("app", _ => { Interlocked.Increment(ref received[i]); return Task.CompletedTask; })).ToList();
        var other = live.Subscribe(null, _ => { Interlocked.Increment(ref received[3]); return Task.CompletedTask; });
        Assert.Equal(2, live.Running);

        await UntilAsync(() => ReadsOf("app") == 1 && ReadsOf(null) == 1);
        for (var second = 2; second <= 6; second++)
        {
            _time.Advance(LiveUpdates.Interval);
            var expected = second;
            await UntilAsync(() => ReadsOf("app") == expected && ReadsOf(null) == expected && Volatile.Read(ref received[0]) == expected
                && Volatile.Read(ref received[2]) == expected - 1 && Volatile.Read(ref received[3]) == expected);
        }

        // The first read is at the first subscription, then one a second: 6 for each filter, whatever the number of
        // listeners; a listener joining a running feed gets the next update, not a read of its own.
        Assert.Equal(6, ReadsOf("app"));
        Assert.Equal(6, ReadsOf(null));
        Assert.Equal([6, 5, 5, 6], received);

        subscriptions.ForEach(s => s.Dispose());
        Assert.Equal(1, live.Running);
        _time.Advance(LiveUpdates.Interval);
        await UntilAsync(() => ReadsOf(null) == 7);
        Assert.Equal(6, ReadsOf("app"));
        Assert.Equal(7, ReadsOf(null));
        other.Dispose();
        Assert.Equal(0, live.Running);
    }

    [Fact]
    public async Task AListenerThatThrows_DoesNotStopTheOthers()
    {
        using var live = new LiveUpdates(Read, _time, NullLogger.Instance);
        var good = 0;
        using var bad = live.Subscribe("app", _ => throw new ObjectDisposedException("circuit"));
        using var fine = live.Subscribe("app", _ => { Interlocked.Increment(ref good); return Task.CompletedTask; });
        await UntilAsync(() => ReadsOf("app") == 1);
        _time.Advance(LiveUpdates.Interval);
        await UntilAsync(() => Volatile.Read(ref good) >= 1);
        _time.Advance(LiveUpdates.Interval);
        await UntilAsync(() => Volatile.Read(ref good) >= 2);
        Assert.True(good >= 2, $"the good listener got {good} updates");
    }
}

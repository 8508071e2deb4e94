using Microsoft.Extensions.Time.Testing;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>What depends on time — retention and the circuit breaker — on a fake clock the test moves.</summary>
public sealed class ClockTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Moves the clock in steps until <paramref name="condition"/> holds (the loop under test may not have armed its timer yet).</summary>
    private static async Task<bool> AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<bool> condition, int steps = 200)
    {
        for (var i = 0; i < steps && !condition(); i++)
        {
            time.Advance(step);
            await Task.Delay(10);
        }

        return condition();
    }

    [Fact(Timeout = 60_000)]
    public async Task Retention_RunsAfterTheStartDelay_ThenEveryInterval_AndDeletesOnlyThisAppsOldRows()
    {
        var time = new FakeTimeProvider(Start);
        await using (var store = Tracking.Store(_folder))
        {
            await store.EnsureSchemaAsync(true, default);
            await store.WriteBatchAsync(
                Enumerable.Range(0, 10).Select(i => Event(Start.AddDays(-i * 10), "tests"))
                    .Append(Event(Start.AddDays(-90), "other-app")).ToList(), default);
        }

        await using var tracker = UsageTracker.Create(Tracking.Options(_folder, o => { o.RetentionDays = 45; o.CleanupInterval = TimeSpan.FromHours(6); }),
            loggerFactory: null, timeProvider: time);

        // Nothing happens before the first run, 30 s after start.
        await Task.Delay(300);
        Assert.Equal(11, Tracking.Rows(_folder));
        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(300);
        Assert.Equal(11, Tracking.Rows(_folder));

        // Rows 0–40 days old stay, 50–90 go; the other app's 90-day-old row is not this app's to delete.
        Assert.True(await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => Tracking.Rows(_folder) == 6), $"{Tracking.Rows(_folder)} rows");
        Assert.Equal(1, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE app_name = 'other-app'"));

        // Six hours later the next run finds the row that has aged past the limit in the meantime.
        await using (var store = Tracking.Store(_folder))
        {
            await store.WriteBatchAsync([Event(time.GetUtcNow().AddDays(-45).AddHours(3), "tests")], default);
        }

        time.Advance(TimeSpan.FromHours(2));
        await Task.Delay(300);
        Assert.Equal(7, Tracking.Rows(_folder));
        Assert.True(await AdvanceUntilAsync(time, TimeSpan.FromMinutes(30), () => Tracking.Rows(_folder) == 6, steps: 20), $"{Tracking.Rows(_folder)} rows");
    }

    [Fact(Timeout = 60_000)]
    public async Task CircuitBreaker_OpensOnFailures_StaysOpenForTheBreak_ThenATrialWriteClosesIt()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        await using var tracker = UsageTracker.Create(Tracking.Options(_folder, o => { o.RetryBudget = TimeSpan.Zero; o.BreakDuration = TimeSpan.FromMinutes(1); }),
            loggerFactory: null, store: store, timeProvider: time);
        for (var i = 0; i < 5; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        Assert.False((await tracker.FlushAsync()).Completed);
        Assert.True(tracker.GetHealth().CircuitOpen);

        // While open, the store is left alone: a flush is refused by the circuit without a write reaching it.
        store.FailUntil = default;
        time.Advance(TimeSpan.FromSeconds(30));
        var calls = store.WriteCalls;
        var duringBreak = await tracker.FlushAsync();
        Assert.False(duringBreak.Completed);
        Assert.Equal(calls, store.WriteCalls);
        Assert.Equal(5, duringBreak.OnDisk);

        // After the break, the next write is the trial: it succeeds, the circuit closes, the spool is replayed.
        time.Advance(TimeSpan.FromSeconds(31));
        var after = await tracker.FlushAsync();
        Assert.True(after.Completed, $"flush: {after}");
        Assert.False(tracker.GetHealth().CircuitOpen);
        Assert.Equal(5, Tracking.Rows(_folder));
    }

    private static UsageEvent Event(DateTimeOffset at, string app) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        Timestamp = at,
        AppName = app,
        User = "ann@example.com",
        Action = Actions.AppStart,
    };
}

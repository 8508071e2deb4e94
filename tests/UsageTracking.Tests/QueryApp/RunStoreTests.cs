using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using UsageTracking.QueryApp;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.Tests.QueryApp;

/// <summary>Kept runs are bounded by bytes per session and in all, and by idle time; a run is its session's alone.</summary>
public sealed class RunStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    private RunStore Store(long session, long all) =>
        new(Options.Create(new QueryAppOptions { ResultByteLimit = 1024, SessionRunBytes = session, KeptRunBytes = all }), _time);

    private static RunRecord Run(string id, string session, long bytes) =>
        new(id, session, "demo", "SELECT 1", null, new QueryResult([], [], null, 5_000, 1024, bytes, 1));

    [Fact]
    public void ASessionOverItsBudget_LosesItsOwnOldestRuns_NotOthers()
    {
        var runs = Store(session: 3_000, all: 100_000);
        runs.Add(Run("other", "s2", 1_000));
        runs.Add(Run("a", "s1", 1_000));
        runs.Add(Run("b", "s1", 1_000));
        runs.Add(Run("c", "s1", 1_000));
        runs.Add(Run("d", "s1", 1_000));

        Assert.Null(runs.Get("a", "s1"));
        Assert.NotNull(runs.Get("b", "s1"));
        Assert.NotNull(runs.Get("d", "s1"));
        Assert.NotNull(runs.Get("other", "s2"));
        Assert.Equal(4_000, runs.Bytes);
    }

    [Fact]
    public void TheAppOverItsBudget_LosesTheLeastRecentlyUsedRuns()
    {
        var runs = Store(session: 3_000, all: 3_000);
        runs.Add(Run("a", "s1", 1_000));
        runs.Add(Run("b", "s2", 1_000));
        runs.Add(Run("c", "s3", 1_000));
        Assert.NotNull(runs.Get("a", "s1"));
        runs.Add(Run("d", "s4", 1_000));

        Assert.Null(runs.Get("b", "s2"));
        Assert.NotNull(runs.Get("a", "s1"));
        Assert.NotNull(runs.Get("c", "s3"));
        Assert.NotNull(runs.Get("d", "s4"));
        Assert.Equal(3_000, runs.Bytes);
    }

    [Fact]
    public void ARunIdleForAnHour_IsGone_AndARunIsOnlyItsSessions()
    {
        var runs = Store(session: 3_000, all: 3_000);
        runs.Add(Run("a", "s1", 1_000));
        Assert.Null(runs.Get("a", "s2"));
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(runs.Get("a", "s1"));
        _time.Advance(TimeSpan.FromMinutes(61));
        Assert.Null(runs.Get("a", "s1"));
        Assert.Equal(0, runs.Bytes);
    }
}

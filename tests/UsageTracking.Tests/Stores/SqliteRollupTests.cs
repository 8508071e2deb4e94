using UsageTracking.Analytics;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores;

/// <summary>The SQLite store's rollups always say what its rows say: after repeats, retention, erasure, and on an old table.</summary>
public sealed class SqliteRollupTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly UsageQuery Everything = new(Start.AddYears(-1), Start.AddYears(1));
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static List<UsageEvent> Events(int count, int seed) => RollupSample.Events(Start, count, seed);

    // What the rows say against what the rollups say; the rollups must be the ones answering: were they behind, the store
    // would fold the rows itself and this would compare rows with rows.
    private static async Task AssertRollupsMatchRows(SqliteUsageStore store)
    {
        Assert.True(await store.RollupsAnswerAsync(), "the rollups should be current, and so answer");
        await RollupSample.AssertAggregatesMatchRows(store, store, Everything);
    }

    [Fact]
    public async Task Rollups_CountEachEventOnce_EvenWhenBatchesAreRepeated()
    {
        await using var store = new SqliteUsageStore(_folder.Database);
        var events = Events(3_000, 1);
        await store.WriteBatchAsync(events[..2_000], default);
        await store.WriteBatchAsync(events[1_000..], default);
        await store.WriteBatchAsync(events[..500], default);
        await AssertRollupsMatchRows(store);
        Assert.Equal(3_000, (await store.GetAggregatesAsync(Everything, AggregateParts.All, default)).Hourly.Sum(h => h.Events));
    }

    [Fact]
    public async Task Retention_DropsAndRecountsTheDaysItTouches()
    {
        await using var store = new SqliteUsageStore(_folder.Database);
        await store.WriteBatchAsync(Events(3_000, 2), default);
        Assert.True(await store.DeleteOlderThanAsync(Start.AddDays(4).AddHours(13), null, default) > 0);
        await AssertRollupsMatchRows(store);
    }

    [Fact]
    public async Task Erasure_LeavesNoTraceOfTheUsersInTheRollups()
    {
        await using var store = new SqliteUsageStore(_folder.Database);
        await store.WriteBatchAsync(Events(3_000, 3), default);
        Assert.True(await store.DeleteUsersAsync(["user3@example.com", "user7@example.com"], default) > 0);
        await AssertRollupsMatchRows(store);
        Assert.DoesNotContain((await store.GetAggregatesAsync(Everything, AggregateParts.All, default)).Users, u => u.User is "user3@example.com" or "user7@example.com");
    }

    [Fact]
    public async Task TableWithoutRollups_GetsThemFilledFromItsRows()
    {
        var events = Events(2_000, 4);
        await using (var store = new SqliteUsageStore(_folder.Database))
        {
            await store.WriteBatchAsync(events, default);
        }

        // As a table written before rollups existed: drop them; the next store to open the table rebuilds them.
        Tracking.Execute(_folder.Database, "DROP TABLE central_app_usage_hourly; DROP TABLE central_app_usage_user_daily; DROP TABLE central_app_usage_session_daily; DROP TABLE central_app_usage_funnel_daily; DROP TABLE central_app_usage_rollup_state; DROP TABLE central_app_usage_duration_hourly; DROP TABLE central_app_usage_message_daily; DROP TABLE central_app_usage_conversation;");
        await using var reopened = new SqliteUsageStore(_folder.Database);
        await reopened.EnsureSchemaAsync(true, default);
        await AssertRollupsMatchRows(reopened);
    }

    [Fact]
    public async Task RollupsFromBeforeTheChatFigures_AreCompletedAndRecountedAtTheNextStart()
    {
        await using (var store = new SqliteUsageStore(_folder.Database))
        {
            await store.WriteBatchAsync(Events(2_000, 8), default);
        }

        // The layout before time to first token, message lengths and conversations were kept.
        Tracking.Execute(_folder.Database, """
            ALTER TABLE central_app_usage_hourly DROP COLUMN ttft_count; ALTER TABLE central_app_usage_hourly DROP COLUMN ttft_sum;
            DROP TABLE central_app_usage_message_daily; DROP TABLE central_app_usage_conversation;
            """);
        await using var reopened = new SqliteUsageStore(_folder.Database);
        await reopened.EnsureSchemaAsync(true, default);
        await AssertRollupsMatchRows(reopened);
    }

    [Fact]
    public async Task AFunnelConfiguredLater_IsCountedFromTheRowsAtTheNextStart_AndThenAnsweredByTheRollups()
    {
        FunnelDefinition funnel = new() { Name = "Chat", CountBy = FunnelUnit.User, Steps = [Actions.NewConversation, Actions.NewReply] };
        var days = new UsageQuery(Start, Start.AddDays(10));
        await using (var store = new SqliteUsageStore(_folder.Database))
        {
            await store.WriteBatchAsync(Events(3_000, 9), default);
            // Not configured when these rows were written: the store says it cannot count it.
            Assert.Null(await store.CountFunnelAsync(funnel, days, default));
        }

        var logs = new CapturingLoggerProvider();
        await using var reopened = new SqliteUsageStore(_folder.Database, logger: logs.CreateLogger("store"), funnels: [funnel]);
        await reopened.EnsureSchemaAsync(true, default);
        Assert.Contains(logs.Entries, e => e.Message.Contains("other funnel steps than UsageTracking:Funnels names", StringComparison.Ordinal));
        await reopened.WriteBatchAsync(Events(500, 10), default);
        var counted = await reopened.CountFunnelAsync(funnel, days, default);
        var fromEvents = await new UsageAnalytics(reopened, reopened).CountFunnelAsync(funnel, days);
        Assert.NotNull(counted);
        Assert.Equal(fromEvents.Steps, counted);
        Assert.All(counted, s => Assert.InRange(s.Count, 1, 12));
        await AssertRollupsMatchRows(reopened);
    }

    [Fact]
    public async Task RollupsFromBeforeTheStateTable_AreReadSafely_AndRebuiltAtTheNextStart()
    {
        var events = Events(1_000, 7);
        await using (var store = new SqliteUsageStore(_folder.Database))
        {
            await store.WriteBatchAsync(events, default);
        }

        // The layout of the first rollups: every table but the state. Readers must not fail on it, nor trust it.
        Tracking.Execute(_folder.Database, "DROP TABLE central_app_usage_rollup_state; DELETE FROM central_app_usage_hourly;");
        await using var reopened = new SqliteUsageStore(_folder.Database);
        Assert.Equal(1_000, (await reopened.GetAggregatesAsync(Everything, AggregateParts.All, default)).Hourly.Sum(h => h.Events));
        Assert.Equal(1_000, (await reopened.GetExtentAsync(null, default)).Rows);
        Assert.Equal(1_000, (await new UsageAnalytics(reopened, reopened).GetStatsAsync(new UsageQuery(Start, Start.AddDays(11)))).TotalEvents);

        await reopened.EnsureSchemaAsync(true, default);
        await AssertRollupsMatchRows(reopened);
    }

    [Fact]
    public async Task RowsFromOtherTools_AreNeverMiscounted_AndTheRollupsCatchUpAfterARebuild()
    {
        await using var store = new SqliteUsageStore(_folder.Database);
        await store.WriteBatchAsync(Events(500, 5), default);
        Tracking.Execute(_folder.Database, "INSERT INTO central_app_usage (\"timestamp\", app_name, \"user\", action) VALUES ('2026-03-02 10:00:00.000', 'app', 'sql@cli', 'execute_sql')");
        // More of this store's own writes after the foreign row: the rollups stay marked behind, so answers come from the rows.
        await store.WriteBatchAsync(Events(200, 15), default);

        Assert.False(await store.RollupsAnswerAsync(), "a row the rollups never counted must leave them behind");
        var stats = await new UsageAnalytics(store, store).GetStatsAsync(new UsageQuery(Start, Start.AddDays(11)));
        Assert.Equal(701, stats.TotalEvents);
        Assert.Equal(701, (await store.GetAggregatesAsync(Everything, AggregateParts.All, default)).Hourly.Sum(h => h.Events));
        Assert.Equal(701, (await store.GetExtentAsync(null, default)).Rows);

        await store.RebuildRollupsAsync();
        await AssertRollupsMatchRows(store);
        await store.WriteBatchAsync(Events(100, 25), default);
        await AssertRollupsMatchRows(store);
        Assert.Equal(801, (await new UsageAnalytics(store, store).GetStatsAsync(new UsageQuery(Start, Start.AddDays(11)))).TotalEvents);
    }

    [Fact]
    public async Task StatsForWholeDays_ComeFromTheRollups_AndEqualTheRows()
    {
        await using var store = new SqliteUsageStore(_folder.Database);
        var events = Events(3_000, 6);
        await store.WriteBatchAsync(events, default);
        // The rows of one app over whole days, counted here by hand.
        var mine = events.Where(e => e.AppName == "app").ToList();
        Assert.True(await store.RollupsAnswerAsync());
        var stats = await new UsageAnalytics(store, store).GetStatsAsync(new UsageQuery(Start, Start.AddDays(11), "app"));

        Assert.Equal(mine.Count, stats.TotalEvents);
        Assert.Equal(mine.Select(e => e.User).Distinct().Count(), stats.DistinctUsers);
        Assert.Equal(mine.Count(e => e.IsError), stats.ErrorCount);
        Assert.Equal(mine.GroupBy(e => e.Action).Select(g => (g.Key, (long)g.Count())).OrderByDescending(a => a.Item2).ThenBy(a => a.Key, StringComparer.Ordinal),
            stats.ByAction.Select(a => (a.Action, a.Count)));
        Assert.Equal(mine.GroupBy(e => DateOnly.FromDateTime(e.Timestamp.UtcDateTime)).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count(), (long)g.Select(e => e.User).Distinct().Count())),
            stats.ByDay.Select(d => (d.Day, d.Count, d.DistinctUsers)));

        // A range that does not start at a midnight is counted from the rows themselves.
        var partial = await new UsageAnalytics(store, store).GetStatsAsync(new UsageQuery(Start.AddHours(1), Start.AddDays(11), "app"));
        Assert.Equal(mine.Count(e => e.Timestamp >= Start.AddHours(1)), partial.TotalEvents);
    }
}

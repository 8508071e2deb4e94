using Npgsql;
using UsageTracking.PostgreSql;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.PostgreSql;

/// <summary>The PostgreSQL store's trigger-kept rollups say what its rows say: after writes, retention, erasure, and on an older layout.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRollupTests(PostgresServer server)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly UsageQuery Everything = new(Start.AddYears(-1), Start.AddYears(1));
    private readonly string _table = "rollups_" + Guid.NewGuid().ToString("N")[..10];

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task Rollups_MatchTheRows_AfterRetentionAndErasure()
    {
        await using var store = new PostgresUsageStore(server.ConnectionString, _table);
        await store.EnsureSchemaAsync(true, default);
        var events = RollupSample.Events(Start, 3_000, 11);
        await store.WriteBatchAsync(events[..2_000], default);
        await store.WriteBatchAsync(events[1_500..], default);
        await RollupSample.AssertAggregatesMatchRows(store, store, Everything);

        // Retention cuts conversations that ran over the cutoff; erasure removes messages from the middle of others.
        Assert.True(await store.DeleteOlderThanAsync(Start.AddDays(4).AddHours(13), null, default) > 0);
        await RollupSample.AssertAggregatesMatchRows(store, store, Everything);
        Assert.True(await store.DeleteUsersAsync(["user3@example.com", "user7@example.com"], default) > 0);
        await RollupSample.AssertAggregatesMatchRows(store, store, Everything);
    }

    [Fact(Timeout = 120_000)]
    public async Task AFunnelConfiguredLater_IsCountedFromTheRowsAtTheNextStart_AndThenAnsweredByTheRollups()
    {
        Analytics.FunnelDefinition funnel = new() { Name = "Chat", CountBy = Analytics.FunnelUnit.User, Steps = [Actions.NewConversation, Actions.NewReply] };
        var days = new UsageQuery(Start, Start.AddDays(10));
        await using (var store = new PostgresUsageStore(server.ConnectionString, _table))
        {
            await store.EnsureSchemaAsync(true, default);
            await store.WriteBatchAsync(RollupSample.Events(Start, 3_000, 13), default);
            Assert.Null(await store.CountFunnelAsync(funnel, days, default));
        }

        await using var reopened = new PostgresUsageStore(server.ConnectionString, _table, funnels: [funnel]);
        await reopened.EnsureSchemaAsync(true, default);
        await reopened.WriteBatchAsync(RollupSample.Events(Start, 500, 14), default);
        // Erasure takes a user's step rows with it.
        await reopened.DeleteUsersAsync(["user5@example.com"], default);
        var counted = await reopened.CountFunnelAsync(funnel, days, default);
        var fromEvents = await new Analytics.UsageAnalytics(reopened, reopened).CountFunnelAsync(funnel, days);
        Assert.NotNull(counted);
        Assert.Equal(fromEvents.Steps, counted);
        Assert.All(counted, s => Assert.InRange(s.Count, 1, 11));
    }

    [Fact(Timeout = 120_000)]
    public async Task RollupsFromBeforeTheChatFiguresAndFunnelCounts_AreRecreatedAndRecountedAtTheNextStart()
    {
        await using (var store = new PostgresUsageStore(server.ConnectionString, _table))
        {
            await store.EnsureSchemaAsync(true, default);
            await store.WriteBatchAsync(RollupSample.Events(Start, 2_000, 12), default);
        }

        await ExecuteAsync($"""
            ALTER TABLE "{_table}_hourly" DROP COLUMN ttft_count, DROP COLUMN ttft_sum;
            DROP TABLE "{_table}_message_daily"; DROP TABLE "{_table}_conversation"; DROP TABLE "{_table}_step_user_daily";
            DROP TABLE "{_table}_rollup_steps"; DROP TABLE "{_table}_funnel_daily";
            """);
        await using var reopened = new PostgresUsageStore(server.ConnectionString, _table);
        await reopened.EnsureSchemaAsync(true, default);
        await RollupSample.AssertAggregatesMatchRows(reopened, reopened, Everything);
    }
}

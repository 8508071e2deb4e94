using Npgsql;
using UsageTracking.Analytics;
using UsageTracking.PostgreSql;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.PostgreSql;

/// <summary>The tracker on a real PostgreSQL server: crashes of the server, refused rows, and configuration.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDeliveryTests(PostgresServer server) : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _table = "usage_" + Guid.NewGuid().ToString("N")[..10];

    public void Dispose() => _folder.Dispose();

    private UsageTracker Create(Action<UsageTrackingOptions>? configure = null) => UsageTracker.Create(Tracking.Options(_folder, o =>
    {
        o.Store = "postgres";
        o.ConnectionString = server.ConnectionString;
        o.TableName = _table;
        configure?.Invoke(o);
    }));

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact(Timeout = 180_000)]
    public async Task ServerKilledAndRestartedMidStream_LosesAndDuplicatesNothing()
    {
        const int events = 30_000;
        await using var tracker = Create(o => { o.BatchSize = 500; o.BreakDuration = TimeSpan.FromMilliseconds(500); });
        var tracking = Task.Run(async () =>
        {
            for (var i = 0; i < events; i++)
            {
                tracker.Track(new UsageEvent { User = $"u{i % 20}@example.com", Action = Actions.ExecuteSql, Detail = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                if (i % 1_000 == 0)
                {
                    await Task.Delay(20);
                }
            }
        });

        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().Written > 2_000), "writes should be under way before the crash");
        server.Kill();
        await Task.Delay(1_500);
        server.Start();
        await tracking;

        // While the restarted server is still coming up, the check's own connection can fail: that is "not yet", not an answer.
        var landed = await Tracking.EventuallyAsync(() =>
        {
            try
            {
                return ScalarAsync($"SELECT COUNT(*) FROM {_table}").GetAwaiter().GetResult() == events;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90));
        var health = tracker.GetHealth();
        Assert.True(landed, $"{await ScalarAsync($"SELECT COUNT(*) FROM {_table}")} of {events} rows; {health}");
        Assert.Equal(events, await ScalarAsync($"SELECT COUNT(DISTINCT detail) FROM {_table}"));
        Assert.Equal(events, await ScalarAsync($"SELECT COUNT(DISTINCT event_id) FROM {_table}"));
        Assert.True(health.Spooled > 0 || health.Retries > 0, "the crash should have been noticed");
    }

    [Fact(Timeout = 60_000)]
    public async Task RowRefusedByACheckConstraint_IsQuarantined_AndTheRestLands()
    {
        await using (var store = new PostgresUsageStore(server.ConnectionString, _table))
        {
            await store.EnsureSchemaAsync(true, default);
        }

        await ScalarAsync($"ALTER TABLE {_table} ADD CONSTRAINT no_poison CHECK (action <> 'poison'); SELECT 0");
        await using var tracker = Create(o => { o.BatchSize = 100; o.FlushInterval = TimeSpan.FromSeconds(5); });
        for (var i = 0; i < 100; i++)
        {
            tracker.TrackUserAction($"u{i}@example.com", i is 10 or 70 ? "poison" : Actions.ExecuteSql);
        }

        var result = await tracker.FlushAsync();

        Assert.Equal((98L, 2L), (result.Written, result.Quarantined));
        Assert.Equal(98, await ScalarAsync($"SELECT COUNT(*) FROM {_table}"));
        var lines = Directory.GetFiles(Path.Combine(_folder.Spool, "quarantine")).SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains("no_poison", l, StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task StorePostgres_FromADatabaseUrlStyleUri_TracksAndReadsStats()
    {
        var uri = $"postgresql://postgres@127.0.0.1:{server.Port}/usage_tests";
        await using var tracker = Create(o => o.ConnectionString = uri);
        tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql, "s1", 12.5, new Dictionary<string, object?> { ["sql"] = "SELECT 1" });
        tracker.TrackError("ann@example.com", Actions.SqlError, "syntax error");
        await tracker.FlushAsync();

        var stats = await tracker.GetUsageStatsAsync("ann@example.com", 1);
        Assert.Equal((2L, 1L, 1L), (stats.TotalEvents, stats.DistinctUsers, stats.ErrorCount));
        Assert.Equal("SELECT 1", await ScalarTextAsync($"SELECT properties->>'sql' FROM {_table} WHERE action = 'execute_sql'"));
        Assert.StartsWith("PostgreSQL database usage_tests on 127.0.0.1", tracker.GetHealth().Store, StringComparison.Ordinal);
    }

    private async Task<string?> ScalarTextAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string?)await command.ExecuteScalarAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task Rollups_CountRowsOtherToolsWrite_AndRowsThatWereThereBeforeThem()
    {
        // A seed table the earlier tracker filled, then upgraded: the rollup is backfilled.
        await ScalarAsync($"CREATE TABLE {_table} (timestamp TIMESTAMP, app_name TEXT, \"user\" TEXT, action TEXT); SELECT 0");
        await ScalarAsync($"INSERT INTO {_table} SELECT now() AT TIME ZONE 'UTC', 'legacy', 'old@example.com', 'sql_error: boom' FROM generate_series(1, 5); SELECT 0");
        await using var store = new PostgresUsageStore(server.ConnectionString, _table);
        Assert.Equal(StoreSchemaMode.Extended, await store.EnsureSchemaAsync(true, default));

        // Another tool inserts and deletes with plain SQL after the upgrade: the triggers count that too.
        await ScalarAsync($"INSERT INTO {_table} (timestamp, app_name, \"user\", action) SELECT now() AT TIME ZONE 'UTC', 'legacy', 'new@example.com', 'execute_sql' FROM generate_series(1, 3); SELECT 0");
        await ScalarAsync($"DELETE FROM {_table} WHERE ctid IN (SELECT ctid FROM {_table} WHERE \"user\" = 'old@example.com' LIMIT 2); SELECT 0");

        var stats = await new UsageAnalytics(store, store).GetStatsAsync(UsageQuery.LastDays(1, DateTimeOffset.UtcNow, "legacy"));
        Assert.Equal((6L, 2L, 3L), (stats.TotalEvents, stats.DistinctUsers, stats.ErrorCount));
        Assert.Equal(1, await ScalarAsync($"SELECT COUNT(*) FROM pg_trigger WHERE tgname = '{_table}_rollup_insert'"));
        Assert.Equal(6, await ScalarAsync($"SELECT SUM(events) FROM {_table}_hourly"));
        Assert.Equal(3, await ScalarAsync($"SELECT SUM(errors) FROM {_table}_user_daily"));
    }
}

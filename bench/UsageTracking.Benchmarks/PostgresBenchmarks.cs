using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Npgsql;
using UsageTracking.PostgreSql;
using UsageTracking.Testing;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Sustained drain into PostgreSQL (a throwaway cluster from Debian's package on 127.0.0.1, default settings), per event:
/// the tracker (binary COPY + idempotent INSERT, daily rollup triggers) against the seed's approach (a new connection
/// and one INSERT per event, 2,000 events). Each iteration writes into a fresh table.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class PostgresDrainBenchmarks
{
    private const int Events = 100_000;
    private const int SeedEvents = 2_000;
    private readonly PostgresCluster _cluster = new();
    private string _table = "";
    private string _folder = "";
    private string[] _users = [];

    [GlobalSetup]
    public void Setup()
    {
        _cluster.StartAsync().GetAwaiter().GetResult();
        _folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        _users = Enumerable.Range(0, 50).Select(i => $"user{i}@example.com").ToArray();
    }

    [IterationSetup]
    public void FreshTable()
    {
        _table = "usage_" + Guid.NewGuid().ToString("N")[..10];
        var store = new PostgresUsageStore(_cluster.ConnectionString, _table);
        store.EnsureSchemaAsync(true, default).GetAwaiter().GetResult();
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = SeedEvents, Description = "seed: connection + INSERT per event")]
    public void SeedOneInsertPerEvent()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(_cluster.ConnectionString) { Pooling = false }.ConnectionString;
        for (var i = 0; i < SeedEvents; i++)
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var insert = new NpgsqlCommand($"INSERT INTO {_table} (\"timestamp\", app_name, \"user\", action) VALUES ($1, $2, $3, $4)", connection);
            insert.Parameters.AddWithValue(DateTime.UtcNow);
            insert.Parameters.AddWithValue("bench");
            insert.Parameters.AddWithValue(_users[i % _users.Length]);
            insert.Parameters.AddWithValue(Actions.All[i % Actions.All.Count]);
            insert.ExecuteNonQuery();
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "tracker: TrackUserAction + FlushAsync")]
    public void TrackerDrain()
    {
        var tracker = UsageTracker.Create(new UsageTrackingOptions
        {
            AppName = "bench",
            Store = "postgres",
            ConnectionString = _cluster.ConnectionString,
            TableName = _table,
            DataDirectory = _folder,
            SpoolDirectory = Path.Combine(_folder, "spool"),
            QueueCapacity = Events,
            RetentionDays = 0,
            ShutdownTimeout = TimeSpan.FromMinutes(1),
        });
        for (var i = 0; i < Events; i++)
        {
            tracker.TrackUserAction(_users[i % _users.Length], Actions.All[i % Actions.All.Count]);
        }

        tracker.FlushAsync().GetAwaiter().GetResult();
        var written = tracker.GetHealth().Written;
        tracker.Dispose();
        if (written != Events)
        {
            throw new InvalidOperationException($"only {written} of {Events} events were written");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

/// <summary>
/// The stats query and the dashboard over 10,000,000 events (500 users, every action in turn, 35 days, sessions of 8 rows,
/// chat messages with lengths and model calls with times to first token, loaded server-side through the store's triggers): the last 30 whole UTC days, as the tracker asks (read from the daily rollup), against the same range a
/// second narrower (counted from the rows: the cost without the rollup). In process, so the data is loaded once.
/// </summary>
[MedianColumn]
[Config(typeof(LongInProcessConfig))]
public class PostgresStatsBenchmarks
{
    /// <summary>In process (the default in-process limit of 5 minutes is shorter than loading the rows).</summary>
    private sealed class LongInProcessConfig : ManualConfig
    {
        public LongInProcessConfig() =>
            AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(40), logOutput: true)).WithWarmupCount(1).WithIterationCount(8));
    }

    private const int Rows = 10_000_000;
    private static readonly Lazy<(PostgresCluster Cluster, PostgresUsageStore Store)> Loaded = new(Load);

    private static (PostgresCluster, PostgresUsageStore) Load()
    {
        var cluster = new PostgresCluster();
        cluster.StartAsync().GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var store = new PostgresUsageStore(cluster.ConnectionString, "central_app_usage", funnels: [ChatFunnel]);
        store.EnsureSchemaAsync(true, default).GetAwaiter().GetResult();
        using var connection = new NpgsqlConnection(cluster.ConnectionString);
        connection.Open();
        // Sessions of 8 consecutive rows; chat messages carry a length and model calls a time to first token, so the
        // conversation and latency rollups have work to do.
        using var load = new NpgsqlCommand($"""
            INSERT INTO central_app_usage ("timestamp", app_name, "user", action, event_id, session_id, properties)
            SELECT ts, 'bench', 'user' || (i % 500) || '@example.com', action, gen_random_uuid()::text, 's' || (i / 8),
                   CASE WHEN action IN ('new_conversation', 'new_reply') THEN jsonb_build_object('message_length', (exp(2 + random() * 5))::int)
                        WHEN action = 'token_usage' THEN jsonb_build_object('ttft_ms', 150 + (random() * 2350)::int) END
            FROM (SELECT i, now() - random() * interval '35 days' AS ts,
                         (ARRAY[{string.Join(", ", Actions.All.Select(a => $"'{a}'"))}])[1 + i % {Actions.All.Count}] AS action
                  FROM generate_series(1, {Rows}) AS i) AS g
            """, connection) { CommandTimeout = 0 };
        load.ExecuteNonQuery();
        using var vacuum = new NpgsqlCommand("VACUUM ANALYZE central_app_usage", connection) { CommandTimeout = 0 };
        vacuum.ExecuteNonQuery();
        return (cluster, store);
    }

    [GlobalSetup]
    public void Setup() => _ = Loaded.Value;

    [Benchmark(Baseline = true, Description = "stats for 30 days: PostgreSQL counting the rows")]
    public long FromRows() => RawRowStats.Postgres(Loaded.Value.Cluster.ConnectionString, "central_app_usage", UsageQuery.LastDays(30, DateTimeOffset.UtcNow, "bench"));

    [Benchmark(Description = "stats for 30 whole days (UsageAnalytics over the rollups; what the tracker asks)")]
    public UsageStats FromRollup() =>
        Analytics.GetStatsAsync(UsageQuery.LastDays(30, DateTimeOffset.UtcNow, "bench")).GetAwaiter().GetResult();

    [Benchmark(Description = "dashboard, every panel, 30 days (from the rollups)")]
    public UsageTracking.Analytics.Dashboard Dashboard() =>
        Analytics.GetDashboardAsync(UsageTracking.Analytics.DashboardQuery.Last(TimeSpan.FromDays(30), DateTimeOffset.UtcNow, "bench")).GetAwaiter().GetResult();

    private static UsageTracking.Analytics.UsageAnalytics Analytics => new(Loaded.Value.Store, Loaded.Value.Store);

    /// <summary>Where the dashboard's time goes: each kind of aggregate row on its own, for the same 30 days.</summary>
    [Benchmark(Description = "dashboard part: the aggregates of one kind, 30 days")]
    [Arguments(UsageTracking.Analytics.AggregateParts.Hourly)]
    [Arguments(UsageTracking.Analytics.AggregateParts.Users)]
    [Arguments(UsageTracking.Analytics.AggregateParts.Sessions)]
    [Arguments(UsageTracking.Analytics.AggregateParts.Durations)]
    [Arguments(UsageTracking.Analytics.AggregateParts.Conversations)]
    public UsageTracking.Analytics.UsageAggregates DashboardPart(UsageTracking.Analytics.AggregateParts part) =>
        Loaded.Value.Store.GetAggregatesAsync(UsageQuery.LastDays(30, DateTimeOffset.UtcNow, "bench"), part, default).GetAwaiter().GetResult();

    // Three chat steps, each about one row in twenty: counted by the triggers as the rows were loaded, or read back.
    private static readonly UsageTracking.Analytics.FunnelDefinition ChatFunnel = new()
    {
        Name = "Conversation", App = "bench", Steps = [Actions.NewConversation, Actions.NewReply, Actions.ThumbsUp],
    };

    [Benchmark(Description = "configured funnel of three chat steps, 30 days, from their events")]
    public UsageTracking.Analytics.FunnelCounts FunnelFromEvents() =>
        Analytics.CountFunnelAsync(ChatFunnel, UsageQuery.LastDays(30, DateTimeOffset.UtcNow, "bench")).GetAwaiter().GetResult();

    [Benchmark(Description = "the same funnel, counted by the store's triggers (IUsageFunnelCounts)")]
    public UsageTracking.Analytics.FunnelCounts FunnelFromRollups() =>
        new UsageTracking.Analytics.UsageAnalytics(Loaded.Value.Store, Loaded.Value.Store, null, [ChatFunnel], Loaded.Value.Store)
            .CountFunnelAsync(ChatFunnel, UsageQuery.LastDays(30, DateTimeOffset.UtcNow, "bench")).GetAwaiter().GetResult();
}

using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using UsageTracking.Sqlite;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Sustained drain into a fresh SQLite file (WAL, the store's schema and indexes), per event.
/// <list type="bullet">
/// <item>Baseline, the store's own limit: a hand-written prepared INSERT of the same rows, 1,000 per transaction.</item>
/// <item>The tracker: <c>TrackUserAction</c> for every event, then <c>FlushAsync</c> until all are in the file.</item>
/// <item>The seed's approach: open a connection, one INSERT, close, per event (2,000 events: it is slow).</item>
/// </list>
/// Rows per second = 1e9 / the mean in ns.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class DrainBenchmarks
{
    private const int Events = 100_000;
    private const int SeedEvents = 2_000;
    private string _folder = null!;
    private string _database = null!;
    private List<UsageEvent> _rows = null!;
    private string[] _users = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_folder);
        _users = Enumerable.Range(0, 50).Select(i => $"user{i}@example.com").ToArray();
        var start = DateTimeOffset.UtcNow;
        _rows = Enumerable.Range(0, Events)
            .Select(i => new UsageEvent
            {
                EventId = Guid.CreateVersion7(start.AddMilliseconds(i)).ToString(),
                Timestamp = start.AddMilliseconds(i),
                AppName = "bench",
                User = _users[i % _users.Length],
                Action = Actions.All[i % Actions.All.Count],
            })
            .ToList();
    }

    [IterationSetup]
    public void FreshDatabase()
    {
        SqliteConnection.ClearAllPools();
        _database = Path.Combine(_folder, $"{Guid.NewGuid():N}.db");
        var store = new SqliteUsageStore(_database);
        store.EnsureSchemaAsync(true, default).GetAwaiter().GetResult();
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "raw prepared batched INSERT (store limit)")]
    public void RawBatchedInsert()
    {
        using var connection = new SqliteConnection($"Data Source={_database}");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO central_app_usage ("timestamp", app_name, "user", action, event_id, session_id, detail, duration_ms, model, input_tokens, output_tokens, cost_usd, properties)
            VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12) ON CONFLICT (event_id) DO NOTHING
            """;
        var p = new SqliteParameter[13];
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = insert.Parameters.Add(new SqliteParameter($"$p{i}", DBNull.Value));
        }

        insert.Prepare();
        foreach (var chunk in _rows.Chunk(1_000))
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            foreach (var e in chunk)
            {
                p[0].Value = e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
                p[1].Value = e.AppName;
                p[2].Value = e.User;
                p[3].Value = e.Action;
                p[4].Value = e.EventId;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "tracker: TrackUserAction + FlushAsync")]
    public void TrackerDrain()
    {
        var tracker = UsageTracker.Create(new UsageTrackingOptions
        {
            AppName = "bench",
            DataDirectory = _folder,
            ConnectionString = _database,
            SpoolDirectory = Path.Combine(_folder, "spool"),
            QueueCapacity = Events,
            RetentionDays = 0,
            ShutdownTimeout = TimeSpan.FromMinutes(1),
        });
        var users = _users;
        for (var i = 0; i < Events; i++)
        {
            tracker.TrackUserAction(users[i % users.Length], Actions.All[i % Actions.All.Count]);
        }

        var flush = tracker.FlushAsync().GetAwaiter().GetResult();
        tracker.Dispose();
        if (flush.Written != Events)
        {
            throw new InvalidOperationException($"only {flush.Written} of {Events} events were written");
        }
    }

    [Benchmark(OperationsPerInvoke = SeedEvents, Description = "seed: connection + INSERT per event")]
    public void SeedOneInsertPerEvent()
    {
        for (var i = 0; i < SeedEvents; i++)
        {
            var e = _rows[i];
            using var connection = new SqliteConnection($"Data Source={_database};Pooling=False");
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = """INSERT INTO central_app_usage ("timestamp", app_name, "user", action) VALUES ($ts, $app, $user, $action)""";
            insert.Parameters.AddWithValue("$ts", e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$app", e.AppName);
            insert.Parameters.AddWithValue("$user", e.User);
            insert.Parameters.AddWithValue("$action", e.Action);
            insert.ExecuteNonQuery();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using UsageTracking.Sqlite;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Sustained drain into a fresh SQLite file (WAL, the store's schema and indexes), per event.
/// <list type="bullet">
/// <item>Baseline, the store's own limit: the same prepared INSERT, bound the same way (SQLitePCLRaw), 1,000 rows per transaction, hand-written with nothing around it.</item>
/// <item>The tracker: <c>TrackUserAction</c> for every event, then <c>FlushAsync</c> until all are in the file.</item>
/// <item>The seed's approach: open a connection, one INSERT, close, per event (2,000 events: it is slow).</item>
/// </list>
/// Rows per second = 1e9 / the mean in ns.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
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
        // The same statement, binding calls and transaction size as the store, hand-written, with nothing around it.
        using var connection = new SqliteConnection($"Data Source={_database}");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
        }

        raw.sqlite3_prepare_v2(connection.Handle, """
            INSERT INTO central_app_usage ("timestamp", "app_name", "user", "action", "event_id", "session_id", "detail", "duration_ms", "model", "input_tokens", "output_tokens", "cost_usd", "properties", "is_error")
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (event_id) DO NOTHING
            """, out var insert);
        Span<char> timestamp = stackalloc char[23];
        foreach (var chunk in _rows.Chunk(1_000))
        {
            using var transaction = connection.BeginTransaction();
            foreach (var e in chunk)
            {
                e.Timestamp.UtcDateTime.TryFormat(timestamp, out var length, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
                raw.sqlite3_bind_text16(insert, 1, timestamp[..length]);
                raw.sqlite3_bind_text16(insert, 2, e.AppName);
                raw.sqlite3_bind_text16(insert, 3, e.User);
                raw.sqlite3_bind_text16(insert, 4, e.Action);
                raw.sqlite3_bind_text16(insert, 5, e.EventId);
                for (var i = 6; i <= 13; i++)
                {
                    raw.sqlite3_bind_null(insert, i);
                }

                raw.sqlite3_bind_int64(insert, 14, e.IsError ? 1 : 0);

                if (raw.sqlite3_step(insert) != raw.SQLITE_DONE)
                {
                    throw new InvalidOperationException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string());
                }

                raw.sqlite3_reset(insert);
            }

            transaction.Commit();
        }

        raw.sqlite3_finalize(insert);
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

        tracker.FlushAsync().GetAwaiter().GetResult();
        var written = tracker.GetHealth().Written;
        tracker.Dispose();
        if (written != Events)
        {
            throw new InvalidOperationException($"only {written} of {Events} events were written");
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

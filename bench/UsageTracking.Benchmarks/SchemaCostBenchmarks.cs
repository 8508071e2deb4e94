using System.Buffers.Binary;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Why the SQLite store has two indexes and sub-millisecond-ordered ids: the raw insert loop of
/// <see cref="DrainBenchmarks"/> (100,000 rows in one burst, 1,000 per transaction) over index sets and id orders.
/// </summary>
[MedianColumn]
[SimpleJob(warmupCount: 2, iterationCount: 20)]
public class SchemaCostBenchmarks
{
    private const int Rows = 100_000;
    private static readonly Dictionary<string, string[]> IndexSets = new()
    {
        ["event_id"] = ["CREATE UNIQUE INDEX ux ON central_app_usage (event_id)"],
        ["event_id + app,time (the store)"] = ["CREATE UNIQUE INDEX ux ON central_app_usage (event_id)", "CREATE INDEX i1 ON central_app_usage (app_name, \"timestamp\")"],
        ["+ app,action,time + time"] =
        [
            "CREATE UNIQUE INDEX ux ON central_app_usage (event_id)", "CREATE INDEX i1 ON central_app_usage (app_name, \"timestamp\")",
            "CREATE INDEX i2 ON central_app_usage (app_name, action, \"timestamp\")", "CREATE INDEX i3 ON central_app_usage (\"timestamp\")",
        ],
    };

    private (string Timestamp, string User, string Action, string Id)[] _rows = null!;
    private string _database = null!;

    [Params("event_id", "event_id + app,time (the store)", "+ app,action,time + time")]
    public string Indexes { get; set; } = "";

    [Params("sub-ms ordered (the store)", "random within a ms")]
    public string Ids { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        // 100,000 events 100 ns apart: a burst, so thousands share each millisecond.
        var start = DateTimeOffset.UtcNow;
        _rows = Enumerable.Range(0, Rows).Select(i =>
        {
            var t = start.AddTicks(i);
            return (t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), $"user{i % 50}@example.com", Actions.All[i % Actions.All.Count],
                Ids.StartsWith("sub-ms", StringComparison.Ordinal) ? Implementation.EventIds.New(t) : RandomWithinMillisecond(t));
        }).ToArray();
    }

    [IterationSetup]
    public void FreshDatabase()
    {
        SqliteConnection.ClearAllPools();
        _database = Path.Combine(Path.GetTempPath(), $"usage-schema-{Guid.NewGuid():N}.db");
        using var connection = new SqliteConnection($"Data Source={_database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE central_app_usage ("timestamp" TEXT NOT NULL, app_name TEXT NOT NULL, "user" TEXT NOT NULL, action TEXT NOT NULL,
              event_id TEXT, session_id TEXT, detail TEXT, duration_ms REAL, model TEXT, input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL, properties TEXT);
            """ + string.Join(";", IndexSets[Indexes]);
        command.ExecuteNonQuery();
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public void Insert()
    {
        using var connection = new SqliteConnection($"Data Source={_database}");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
        }

        raw.sqlite3_prepare_v2(connection.Handle, "INSERT INTO central_app_usage VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (event_id) DO NOTHING", out var insert);
        foreach (var chunk in _rows.Chunk(1_000))
        {
            using var transaction = connection.BeginTransaction();
            foreach (var row in chunk)
            {
                raw.sqlite3_bind_text16(insert, 1, row.Timestamp);
                raw.sqlite3_bind_text16(insert, 2, "bench");
                raw.sqlite3_bind_text16(insert, 3, row.User);
                raw.sqlite3_bind_text16(insert, 4, row.Action);
                raw.sqlite3_bind_text16(insert, 5, row.Id);
                for (var i = 6; i <= 13; i++)
                {
                    raw.sqlite3_bind_null(insert, i);
                }

                raw.sqlite3_step(insert);
                raw.sqlite3_reset(insert);
            }

            transaction.Commit();
        }

        raw.sqlite3_finalize(insert);
    }

    [IterationCleanup]
    public void Delete()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(_database) + "*"))
        {
            File.Delete(file);
        }
    }

    /// <summary>A UUIDv7 with only millisecond precision and the rest random, as <see cref="Guid.CreateVersion7()"/> makes.</summary>
    private static string RandomWithinMillisecond(DateTimeOffset t)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)t.ToUnixTimeMilliseconds() << 16 | BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]));
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true).ToString();
    }
}

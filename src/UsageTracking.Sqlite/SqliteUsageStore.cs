using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UsageTracking.Analytics;

namespace UsageTracking.Sqlite;

/// <summary>
/// The usage table in an embedded SQLite file: WAL mode, one transaction and one prepared statement per batch,
/// <c>INSERT … ON CONFLICT (event_id) DO NOTHING</c> on a unique <c>event_id</c>, and indexes for the stats and the seed's example analyses.
/// Timestamps are stored as UTC text <c>YYYY-MM-DD HH:MM:SS.fff</c>, which sorts in time order and works with SQLite's date functions.
/// Rollup tables beside it (<c>&lt;table&gt;_hourly</c>, <c>_user_daily</c>, <c>_session_daily</c>, <c>_duration_hourly</c>) are kept
/// in the same transactions, so dashboards over millions of events read only thousands of rows.
/// </summary>
public sealed class SqliteUsageStore : IUsageStore, IUsageAggregateSource
{
    internal const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff";
    private const int CleanupChunk = 10_000;

    private static readonly string[] ExtendedColumns =
    [
        "event_id TEXT", "session_id TEXT", "detail TEXT", "duration_ms REAL", "model TEXT",
        "input_tokens INTEGER", "output_tokens INTEGER", "cost_usd REAL", "properties TEXT",
    ];

    private readonly string _connectionString;
    private readonly string? _directory;
    private readonly string _table;
    private readonly string _indexPrefix;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteConnection? _writeConnection;
    private SqliteBatchInsert? _insert;
    private StoreSchemaMode? _mode;
    private readonly SqliteRollups _rollups;
    private readonly TimeProvider _time;
    private int _behindReported;

    /// <summary>Opens (lazily) the usage table in a SQLite file.</summary>
    /// <param name="pathOrConnectionString">A file path, or a <c>Data Source=…</c> connection string.</param>
    /// <param name="tableName">The table: a name, or <c>main.name</c>.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock, to know whether a stats range ends now; the system clock by default.</param>
    public SqliteUsageStore(string pathOrConnectionString, string tableName = "central_app_usage", ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrConnectionString);
        var builder = pathOrConnectionString.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(pathOrConnectionString)
            : new SqliteConnectionStringBuilder { DataSource = pathOrConnectionString };
        if (builder.Mode is SqliteOpenMode.ReadWriteCreate or SqliteOpenMode.ReadWrite && builder.DataSource is { Length: > 0 } file && file != ":memory:")
        {
            builder.DataSource = Path.GetFullPath(file);
            _directory = Path.GetDirectoryName(builder.DataSource);
        }

        builder.DefaultTimeout = builder.DefaultTimeout == 30 ? 10 : builder.DefaultTimeout;
        _connectionString = builder.ToString();
        DatabasePath = builder.DataSource;

        var parts = tableName.Split('.');
        if (parts.Length > 2 || parts.Length == 2 && !string.Equals(parts[0], "main", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"UsageTracking:TableName '{tableName}' is not a SQLite table name; use a plain name such as central_app_usage.");
        }

        TableName = parts[^1];
        _table = Quote(TableName);
        _indexPrefix = TableName;
        _rollups = new SqliteRollups(TableName);
        _logger = logger ?? NullLogger<SqliteUsageStore>.Instance;
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The table name.</summary>
    public string TableName { get; }

    /// <inheritdoc />
    public string Description => $"SQLite file {DatabasePath} (table {TableName})";

    /// <inheritdoc />
    public async Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = WriteConnection();
            _mode = EnsureSchema(connection, allowUpgrade);
            ResetInsert();
            return _mode.Value;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = WriteConnection();
            _mode ??= EnsureSchema(connection, allowUpgrade: true);
            using var transaction = connection.BeginTransaction();
            _insert ??= new SqliteBatchInsert(connection, _table, _mode.Value);
            var inserted = new List<(string, UsageEvent)>(batch.Count);
            var compat = _mode == StoreSchemaMode.Compat;
            // Counted up to the table's last row before this batch? Then after it too; if not, another tool wrote rows
            // the rollups have not seen, and they stay marked behind until rebuilt.
            var current = _rollups.Watermark(connection, transaction) == _rollups.MaxRowId(connection, transaction);
            foreach (var e in batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_insert.Insert(e))
                {
                    inserted.Add((e.AppName ?? "", compat ? e with { Action = e.CompatAction } : e));
                }
            }

            _rollups.Add(connection, transaction, inserted);
            if (current)
            {
                _rollups.SetWatermark(connection, transaction, _rollups.MaxRowId(connection, transaction));
            }

            transaction.Commit();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1 && ex.Message.Contains("no such table", StringComparison.OrdinalIgnoreCase))
        {
            // The table was dropped under us: prepare it again on the next attempt.
            _mode = null;
            ResetInsert();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (!TableExists(connection))
        {
            return new UsageStats(query.Since, query.Until, query.AppName, query.User, 0, 0, 0, [], []);
        }

        if (query.User is null && WholeDays(query) is { } days && RollupsCurrent(connection))
        {
            return await RollupStatsAsync(connection, query, days.First, days.Last, cancellationToken).ConfigureAwait(false);
        }

        var where = Where(query);
        long total = 0, users = 0, errors = 0;
        using (var command = Command(connection, $"""
            SELECT COUNT(*), COUNT(DISTINCT "user"),
                   COALESCE(SUM(CASE WHEN action LIKE '%\_error%' ESCAPE '\' THEN 1 ELSE 0 END), 0)
            FROM {_table} WHERE {where}
            """, query))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (total, users, errors) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        var byAction = new List<ActionCount>();
        using (var command = Command(connection, $"SELECT action, COUNT(*) AS n FROM {_table} WHERE {where} GROUP BY action ORDER BY n DESC, action", query))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byAction.Add(new ActionCount(reader.IsDBNull(0) ? "" : reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var byDay = new List<DayCount>();
        using (var command = Command(connection, $"""
            SELECT substr("timestamp", 1, 10) AS day, COUNT(*), COUNT(DISTINCT "user")
            FROM {_table} WHERE {where} GROUP BY day ORDER BY day
            """, query))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (DateOnly.TryParseExact(reader.GetString(0), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    byDay.Add(new DayCount(day, reader.GetInt64(1), reader.GetInt64(2)));
                }
            }
        }

        return new UsageStats(query.Since, query.Until, query.AppName, query.User, total, users, errors, byAction, byDay);
    }

    // The rollups answer a range of whole UTC days: from a midnight to a midnight, or to now (today's rows so far are all
    // counted). Any other range is counted from the rows themselves.
    private (DateOnly First, DateOnly Last)? WholeDays(UsageQuery query)
    {
        var since = query.Since.UtcDateTime;
        var until = query.Until.UtcDateTime;
        if (since.TimeOfDay != TimeSpan.Zero || (until.TimeOfDay != TimeSpan.Zero && query.Until < _time.GetUtcNow()) || until <= since)
        {
            return null;
        }

        var last = until.TimeOfDay == TimeSpan.Zero ? until.Date.AddDays(-1) : until.Date;
        return (DateOnly.FromDateTime(since), DateOnly.FromDateTime(last));
    }

    private async Task<UsageStats> RollupStatsAsync(SqliteConnection connection, UsageQuery query, DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        var app = query.AppName is null ? "" : " AND app_name = $app";
        SqliteCommand Rollup(string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$first", SqliteRollups.Day(first));
            command.Parameters.AddWithValue("$last", SqliteRollups.Day(last));
            command.Parameters.AddWithValue("$end", SqliteRollups.Day(last.AddDays(1)));
            if (query.AppName is not null)
            {
                command.Parameters.AddWithValue("$app", query.AppName);
            }

            return command;
        }

        long total = 0, users = 0, errors = 0;
        using (var command = Rollup($"""
            SELECT COALESCE(SUM(events), 0), COUNT(DISTINCT "user"), COALESCE(SUM(errors), 0)
            FROM {_rollups.Users} WHERE day >= $first AND day <= $last{app}
            """))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (total, users, errors) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        var byAction = new List<ActionCount>();
        using (var command = Rollup($"SELECT action, SUM(events) AS n FROM {_rollups.Hourly} WHERE hour >= $first AND hour < $end{app} GROUP BY action ORDER BY n DESC, action"))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byAction.Add(new ActionCount(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var byDay = new List<DayCount>();
        using (var command = Rollup($"""
            SELECT day, SUM(events), COUNT(DISTINCT "user") FROM {_rollups.Users} WHERE day >= $first AND day <= $last{app} GROUP BY day ORDER BY day
            """))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byDay.Add(new DayCount(DateOnly.ParseExact(reader.GetString(0), SqliteRollups.DayFormat, CultureInfo.InvariantCulture), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        return new UsageStats(query.Since, query.Until, query.AppName, query.User, total, users, errors, byAction, byDay);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (!TableExists(connection))
        {
            yield break;
        }

        var extended = Columns(connection).Contains("event_id");
        var columns = extended
            ? "\"timestamp\", app_name, \"user\", action, event_id, session_id, detail, duration_ms, model, input_tokens, output_tokens, cost_usd, properties"
            : "\"timestamp\", app_name, \"user\", action";
        // Stepped through SQLitePCLRaw rather than SqliteDataReader: a third cheaper per row, which is most of an export's time.
        using var rows = new SqliteRowReader(connection, $"SELECT {columns} FROM {_table} WHERE {Where(query)} ORDER BY \"timestamp\"", Parameters(query));
        var count = 0;
        while (rows.Step())
        {
            if (++count % 10_000 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
            }

            yield return new UsageEvent
            {
                Timestamp = ParseTimestamp(rows.Text(0)),
                AppName = rows.Text(1),
                User = rows.Text(2),
                Action = rows.Text(3) ?? "",
                EventId = extended ? rows.Text(4) : null,
                SessionId = extended ? rows.Text(5) : null,
                Detail = extended ? rows.Text(6) : null,
                DurationMs = extended ? rows.Real(7) : null,
                Model = extended ? rows.Text(8) : null,
                InputTokens = extended ? rows.Integer(9) : null,
                OutputTokens = extended ? rows.Integer(10) : null,
                CostUsd = extended && rows.Real(11) is { } cost ? (decimal)cost : null,
                PropertiesJson = extended ? rows.Text(12) : null,
            };
        }
    }

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (!TableExists(connection))
        {
            return 0;
        }

        // Small chunks, each its own transaction, so the writer never waits long for the lock.
        var wasCurrent = _rollups.IsCurrent(connection);
        long deleted = 0;
        using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {_table} WHERE rowid IN (SELECT rowid FROM {_table} WHERE \"timestamp\" < $cutoff LIMIT {CleanupChunk})";
        command.Parameters.AddWithValue("$cutoff", cutoff.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture));
        int n;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            n = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            deleted += n;
        }
        while (n == CleanupChunk);

        if (deleted > 0 && _rollups.Exist(connection))
        {
            // Days before the cutoff's are gone entirely; the cutoff's own day lost part of its rows, so it is recounted.
            var day = DateOnly.FromDateTime(cutoff.UtcDateTime);
            _rollups.DropBefore(connection, day);
            _rollups.Rebuild(connection, Columns(connection).Contains("event_id"), day, day.AddDays(1));
            KeepCurrent(connection, wasCurrent);
        }

        return deleted;
    }

    /// <inheritdoc />
    public async Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (!TableExists(connection) || users.Count == 0)
        {
            return 0;
        }

        var json = System.Text.Json.JsonSerializer.Serialize(users);
        var exist = _rollups.Exist(connection);
        var days = exist ? _rollups.DaysOf(connection, json) : [];
        var wasCurrent = exist && _rollups.IsCurrent(connection);
        using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {_table} WHERE \"user\" IN (SELECT value FROM json_each($users))";
        command.Parameters.AddWithValue("$users", json);
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        // The erased users leave no trace in the rollups either: their days are recounted from the remaining rows.
        var extended = Columns(connection).Contains("event_id");
        foreach (var day in days)
        {
            _rollups.Rebuild(connection, extended, day, day.AddDays(1));
        }

        KeepCurrent(connection, wasCurrent && days.Count > 0);
        return deleted;
    }

    // The rollups answer only while they have counted every row; the first time they are found behind, say how to fix it.
    private bool RollupsCurrent(SqliteConnection connection)
    {
        if (_rollups.IsCurrent(connection))
        {
            return true;
        }

        if (!_rollups.Exist(connection))
        {
            return false;
        }

        if (Interlocked.Exchange(ref _behindReported, 1) == 0)
        {
            _logger.LogWarning("The usage table {Table} has rows its rollups have not counted (written by another tool); stats and dashboards count the rows, more slowly, until `usage rebuild-rollups` runs.", TableName);
        }

        return false;
    }

    // After this store's own deletes (retention, erasure) and the recount of the days they touched, the rollups are as
    // current as before, even if the table's last rowid moved.
    private void KeepCurrent(SqliteConnection connection, bool wasCurrent)
    {
        if (wasCurrent)
        {
            using var transaction = connection.BeginTransaction();
            _rollups.SetWatermark(connection, transaction, _rollups.MaxRowId(connection, transaction));
            transaction.Commit();
        }
    }

    /// <summary>Recomputes every rollup from the usage table's rows: after rows were written or deleted by other tools.</summary>
    public async Task RebuildRollupsAsync(CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = WriteConnection();
            _mode ??= EnsureSchema(connection, allowUpgrade: true);
            _rollups.Rebuild(connection, _mode == StoreSchemaMode.Extended);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (query.User is null && RollupsCurrent(connection))
        {
            return await _rollups.ReadAsync(connection, query, cancellationToken).ConfigureAwait(false);
        }

        // No rollups yet, or rows they have not counted: fold the rows themselves (correct, slower).
        var builder = new AggregateBuilder();
        await foreach (var e in ReadEventsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            builder.Add(e);
        }

        return builder.Build();
    }

    /// <inheritdoc />
    public async Task<TableExtent> GetExtentAsync(string? appName, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (!TableExists(connection))
        {
            return new TableExtent(0, null, null);
        }

        using var rows = connection.CreateCommand();
        rows.CommandText = RollupsCurrent(connection)
            ? $"SELECT COALESCE(SUM(events), 0) FROM {_rollups.Hourly}" + (appName is null ? "" : " WHERE app_name = $app")
            : $"SELECT COUNT(*) FROM {_table}" + (appName is null ? "" : " WHERE app_name = $app");
        using var ends = connection.CreateCommand();
        // The oldest and newest: by the app's (app_name, timestamp) index — one MIN or MAX per query, or SQLite scans the
        // whole range — or over all apps by rowid, which follows insertion.
        ends.CommandText = appName is null
            ? $"SELECT (SELECT \"timestamp\" FROM {_table} ORDER BY rowid LIMIT 1), (SELECT \"timestamp\" FROM {_table} ORDER BY rowid DESC LIMIT 1)"
            : $"SELECT (SELECT MIN(\"timestamp\") FROM {_table} WHERE app_name = $app), (SELECT MAX(\"timestamp\") FROM {_table} WHERE app_name = $app)";
        if (appName is not null)
        {
            rows.Parameters.AddWithValue("$app", appName);
            ends.Parameters.AddWithValue("$app", appName);
        }

        var count = (long)(await rows.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        using var reader = await ends.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? Read(int i) => reader.IsDBNull(i) ? null : ParseTimestamp(reader.GetString(i));
        return new TableExtent(count, Read(0), Read(1));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageEvent>> GetLatestAsync(string? appName, int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (!TableExists(connection))
        {
            return [];
        }

        var extended = Columns(connection).Contains("event_id");
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"timestamp\", app_name, \"user\", action, {(extended ? "duration_ms" : "NULL")} FROM {_table} "
            + (appName is null ? "ORDER BY rowid DESC LIMIT $n" : "WHERE app_name = $app ORDER BY \"timestamp\" DESC LIMIT $n");
        command.Parameters.AddWithValue("$n", count);
        if (appName is not null)
        {
            command.Parameters.AddWithValue("$app", appName);
        }

        var latest = new List<UsageEvent>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            latest.Add(new UsageEvent
            {
                Timestamp = ParseTimestamp(reader.GetString(0)),
                AppName = reader.GetString(1),
                User = reader.GetString(2),
                Action = reader.GetString(3),
                DurationMs = reader.IsDBNull(4) ? null : reader.GetDouble(4),
            });
        }

        return latest;
    }

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception exception) => exception switch
    {
        // Constraint, type mismatch, too big, out of range: this data, not the store.
        SqliteException { SqliteErrorCode: var code } when (code & 0xFF) is 18 or 19 or 20 or 25 => StoreErrorKind.Rejected,
        _ => StoreErrorKind.Transient,
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            ResetInsert();
            if (_writeConnection is not null)
            {
                await _writeConnection.DisposeAsync().ConfigureAwait(false);
            }

            _writeConnection = null;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private SqliteConnection WriteConnection()
    {
        if (_writeConnection is { State: System.Data.ConnectionState.Open })
        {
            return _writeConnection;
        }

        ResetInsert();
        _writeConnection?.Dispose();
        CreateDirectory();
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        _writeConnection = connection;
        return connection;
    }

    /// <summary>Created on first use rather than in the constructor, so a bad path is a store failure (spooled, reported), never a crash at start.</summary>
    private void CreateDirectory()
    {
        if (_directory is not null)
        {
            Directory.CreateDirectory(_directory);
        }
    }

    private async Task<SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        CreateDirectory();
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private StoreSchemaMode EnsureSchema(SqliteConnection connection, bool allowUpgrade)
    {
        var mode = EnsureTable(connection, allowUpgrade);
        if (_rollups.Ensure(connection))
        {
            // New rollups over an existing table: fill them once from its rows.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            _rollups.Rebuild(connection, mode == StoreSchemaMode.Extended);
            _logger.LogInformation("Created the rollups of {Table} in {Elapsed:0} ms.", TableName, watch.Elapsed.TotalMilliseconds);
        }

        return mode;
    }

    private StoreSchemaMode EnsureTable(SqliteConnection connection, bool allowUpgrade)
    {
        var columns = Columns(connection);
        if (columns.Count == 0)
        {
            if (!allowUpgrade)
            {
                throw new UsageStoreException($"The table {TableName} does not exist in {DatabasePath} and UsageTracking:AllowSchemaUpgrade is false.");
            }

            Execute(connection, CreateTableSql());
            _logger.LogInformation("Created usage table {Table} in {Path}.", TableName, DatabasePath);
            return StoreSchemaMode.Extended;
        }

        if (columns.Contains("event_id"))
        {
            Execute(connection, CreateIndexesSql());
            return StoreSchemaMode.Extended;
        }

        if (!allowUpgrade)
        {
            return StoreSchemaMode.Compat;
        }

        using (var transaction = connection.BeginTransaction())
        {
            foreach (var column in ExtendedColumns.Where(c => !columns.Contains(c.Split(' ')[0])))
            {
                Execute(connection, $"ALTER TABLE {_table} ADD COLUMN {column}", transaction);
            }

            transaction.Commit();
        }

        Execute(connection, CreateIndexesSql());
        _logger.LogInformation("Added the extended columns to the 4-column usage table {Table} in {Path}.", TableName, DatabasePath);
        return StoreSchemaMode.Extended;
    }

    internal string CreateTableSql() => $"""
        CREATE TABLE IF NOT EXISTS {_table} (
            "timestamp"   TEXT NOT NULL,
            app_name      TEXT NOT NULL,
            "user"        TEXT NOT NULL,
            action        TEXT NOT NULL,
            event_id      TEXT,
            session_id    TEXT,
            detail        TEXT,
            duration_ms   REAL,
            model         TEXT,
            input_tokens  INTEGER,
            output_tokens INTEGER,
            cost_usd      REAL,
            properties    TEXT
        );
        {CreateIndexesSql()}
        """;

    // Two indexes, chosen by measurement: each further index costs a b-tree insert per row (four indexes
    // halved the drain rate, docs/benchmarks.md). Stats and the analyses filter by app and time; retention
    // deletes the oldest rows, which rowid order finds first.
    internal string CreateIndexesSql() => $"""
        CREATE UNIQUE INDEX IF NOT EXISTS {Quote($"ux_{_indexPrefix}_event_id")} ON {_table} (event_id);
        CREATE INDEX IF NOT EXISTS {Quote($"ix_{_indexPrefix}_app_time")} ON {_table} (app_name, "timestamp");
        """;

    private void ResetInsert()
    {
        _insert?.Dispose();
        _insert = null;
    }

    private HashSet<string> Columns(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info($table)";
        command.Parameters.AddWithValue("$table", TableName);
        using var reader = command.ExecuteReader();
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private bool TableExists(SqliteConnection connection) => Columns(connection).Count > 0;

    private static string Where(UsageQuery query)
    {
        var where = "\"timestamp\" >= $since AND \"timestamp\" < $until";
        if (query.AppName is not null)
        {
            where += " AND app_name = $app";
        }

        if (query.User is not null)
        {
            where += " AND \"user\" = $user";
        }

        return where;
    }

    private static List<(string Name, string Value)> Parameters(UsageQuery query)
    {
        var parameters = new List<(string, string)>
        {
            ("$since", query.Since.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)),
            ("$until", query.Until.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)),
        };
        if (query.AppName is not null)
        {
            parameters.Add(("$app", query.AppName));
        }

        if (query.User is not null)
        {
            parameters.Add(("$user", query.User));
        }

        return parameters;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, UsageQuery query)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$since", query.Since.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$until", query.Until.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture));
        if (query.AppName is not null)
        {
            command.Parameters.AddWithValue("$app", query.AppName);
        }

        if (query.User is not null)
        {
            command.Parameters.AddWithValue("$user", query.User);
        }

        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    // GetString reads any storage class as text (sqlite3_column_text) without boxing the value first.
    private static string? String(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    // The store writes one fixed format; reading it by position is ~10x cheaper than the general parser, which
    // stays as the fallback for rows other tools wrote.
    internal static DateTimeOffset ParseTimestamp(string? text)
    {
        if (text is { Length: 23 } && text[4] == '-' && text[7] == '-' && text[10] == ' ' && text[13] == ':' && text[16] == ':' && text[19] == '.'
            && TryDigits(text, 0, 4, out var year) && TryDigits(text, 5, 2, out var month) && TryDigits(text, 8, 2, out var day)
            && TryDigits(text, 11, 2, out var hour) && TryDigits(text, 14, 2, out var minute) && TryDigits(text, 17, 2, out var second)
            && TryDigits(text, 20, 3, out var millisecond) && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && hour < 24 && minute < 60 && second < 60)
        {
            return new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : default;
    }

    private static bool TryDigits(string text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = text[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            value = value * 10 + digit;
        }

        return true;
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using UsageTracking.Analytics;

namespace UsageTracking.PostgreSql;

/// <summary>
/// The usage table in PostgreSQL. A batch is one transaction: a binary <c>COPY</c> into a session-local staging table,
/// then <c>INSERT … SELECT … ON CONFLICT (event_id) DO NOTHING</c>, so a replayed batch adds nothing and COPY's speed
/// is kept. <c>properties</c> is <c>jsonb</c>; <c>timestamp</c> is <c>timestamptz</c> (a seed table's
/// <c>timestamp without time zone</c> is written in UTC).
/// </summary>
public sealed partial class PostgresUsageStore : IUsageStore, IUsageAggregateSource
{
    private const int CleanupChunk = 10_000;
    private const string Staging = "pg_temp.usage_tracking_staging";

    private static readonly string[] ExtendedColumns =
    [
        "event_id text", "session_id text", "detail text", "duration_ms double precision", "model text",
        "input_tokens bigint", "output_tokens bigint", "cost_usd numeric", "properties jsonb",
    ];

    private static readonly string[] AllColumns =
        ["timestamp", "app_name", "user", "action", "event_id", "session_id", "detail", "duration_ms", "model", "input_tokens", "output_tokens", "cost_usd", "properties"];

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private readonly string _schema;
    private readonly string _indexPrefix;
    private readonly string _daily;
    private readonly string _dailyName;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private NpgsqlConnection? _writeConnection;
    private StoreSchemaMode? _mode;
    private bool? _timestampWithTimeZone;

    /// <summary>Creates the store; nothing connects until the first call.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="tableName">The table: <c>name</c> or <c>schema.name</c>.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock, to tell whether a range ends now; null for the system clock.</param>
    public PostgresUsageStore(string connectionString, string tableName = "central_app_usage", ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "UsageTracking";
        }

        _dataSource = NpgsqlDataSource.Create(builder);
        Description = $"PostgreSQL database {builder.Database ?? builder.Username} on {builder.Host}:{builder.Port} (table {tableName})";
        var parts = tableName.Split('.');
        if (parts.Length > 2)
        {
            throw new ArgumentException($"UsageTracking:TableName '{tableName}' is not a PostgreSQL table name; use name or schema.name.");
        }

        _schema = parts.Length == 2 ? parts[0] : "";
        TableName = parts[^1];
        _table = string.Join('.', parts.Select(Quote));
        _indexPrefix = TableName;
        _dailyName = TableName + "_daily";
        _daily = string.Join('.', parts[..^1].Append(_dailyName).Select(Quote));
        _logger = logger ?? NullLogger<PostgresUsageStore>.Instance;
    }

    /// <summary>The table name, without schema.</summary>
    public string TableName { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public async Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await WriteConnectionAsync(cancellationToken).ConfigureAwait(false);
            _mode = await EnsureSchemaCoreAsync(connection, allowUpgrade, cancellationToken).ConfigureAwait(false);
            return _mode.Value;
        }
        catch
        {
            await DropWriteConnectionAsync().ConfigureAwait(false);
            throw;
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
            var connection = await WriteConnectionAsync(cancellationToken).ConfigureAwait(false);
            var mode = _mode ??= await EnsureSchemaCoreAsync(connection, allowUpgrade: true, cancellationToken).ConfigureAwait(false);
            var columns = mode == StoreSchemaMode.Compat ? AllColumns[..4] : AllColumns;
            var list = string.Join(", ", columns.Select(Quote));
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using (var copy = await connection.BeginBinaryImportAsync($"COPY {Staging} ({list}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
            {
                foreach (var e in batch)
                {
                    await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    WriteRow(copy, e, mode);
                }

                await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            var conflict = mode == StoreSchemaMode.Compat ? "" : " ON CONFLICT (event_id) DO NOTHING";
            await using (var insert = new NpgsqlCommand($"INSERT INTO {_table} ({list}) SELECT {list} FROM {Staging}{conflict}", connection, transaction))
            {
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // An error the server reported leaves the connection usable (the transaction is rolled back), unless the
            // table is gone; anything else (I/O, timeout, cancellation mid-COPY) may have broken it: start afresh.
            if (ex is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable })
            {
                _mode = null;
            }

            if (ex is not PostgresException || _mode is null)
            {
                await DropWriteConnectionAsync().ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void WriteRow(NpgsqlBinaryImporter copy, UsageEvent e, StoreSchemaMode mode)
    {
        if (_timestampWithTimeZone == false)
        {
            copy.Write(DateTime.SpecifyKind(e.Timestamp.UtcDateTime, DateTimeKind.Unspecified), NpgsqlDbType.Timestamp);
        }
        else
        {
            copy.Write(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz);
        }

        copy.Write(e.AppName ?? "", NpgsqlDbType.Text);
        copy.Write(e.User ?? "", NpgsqlDbType.Text);
        if (mode == StoreSchemaMode.Compat)
        {
            copy.Write(e.CompatAction, NpgsqlDbType.Text);
            return;
        }

        copy.Write(e.Action, NpgsqlDbType.Text);
        Text(copy, e.EventId);
        Text(copy, e.SessionId);
        Text(copy, e.Detail);
        Value(copy, e.DurationMs, NpgsqlDbType.Double);
        Text(copy, e.Model);
        Value(copy, e.InputTokens, NpgsqlDbType.Bigint);
        Value(copy, e.OutputTokens, NpgsqlDbType.Bigint);
        Value(copy, e.CostUsd, NpgsqlDbType.Numeric);
        if (e.PropertiesJson is { } json)
        {
            copy.Write(json, NpgsqlDbType.Jsonb);
        }
        else
        {
            copy.WriteNull();
        }
    }

    private static void Text(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void Value<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
        where T : struct
    {
        if (value is { } v)
        {
            copy.Write(v, type);
        }
        else
        {
            copy.WriteNull();
        }
    }

    /// <inheritdoc />
    public async Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (columns.Count == 0)
        {
            return new UsageStats(query.Since, query.Until, query.AppName, query.User, 0, 0, 0, [], []);
        }

        if (await UseRollupAsync(connection, query, cancellationToken).ConfigureAwait(false) is { } days)
        {
            return await RollupStatsAsync(connection, query, days.Since, days.Until, cancellationToken).ConfigureAwait(false);
        }

        var withTimeZone = IsTimestampTz(columns);
        var where = Where(query);
        long total = 0, users = 0, errors = 0;
        await using (var command = Command(connection, $"""
            SELECT COUNT(*), COUNT(DISTINCT "user"), COUNT(*) FILTER (WHERE action LIKE '%\_error%')
            FROM {_table} WHERE {where}
            """, query, withTimeZone))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (total, users, errors) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        var byAction = new List<ActionCount>();
        await using (var command = Command(connection, $"""SELECT action, COUNT(*) AS n FROM {_table} WHERE {where} GROUP BY action ORDER BY n DESC, action COLLATE "C" """, query, withTimeZone))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byAction.Add(new ActionCount(reader.IsDBNull(0) ? "" : reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var day = withTimeZone ? "(\"timestamp\" AT TIME ZONE 'UTC')::date" : "\"timestamp\"::date";
        var byDay = new List<DayCount>();
        await using (var command = Command(connection, $"""
            SELECT {day} AS day, COUNT(*), COUNT(DISTINCT "user")
            FROM {_table} WHERE {where} GROUP BY day ORDER BY day
            """, query, withTimeZone))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byDay.Add(new DayCount(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        return new UsageStats(query.Since, query.Until, query.AppName, query.User, total, users, errors, byAction, byDay);
    }

    /// <summary>
    /// The rollup answers when it exists and the range is whole UTC days: it starts at midnight and ends at a midnight
    /// or now (today's rows so far are all in it). Any other range is counted from the rows themselves.
    /// </summary>
    private async Task<(DateOnly Since, DateOnly Until)?> UseRollupAsync(NpgsqlConnection connection, UsageQuery query, CancellationToken cancellationToken)
    {
        var since = query.Since.UtcDateTime;
        var until = query.Until.UtcDateTime;
        if (since.TimeOfDay != TimeSpan.Zero || until.TimeOfDay != TimeSpan.Zero && query.Until < _time.GetUtcNow())
        {
            return null;
        }

        if (!await RollupExistsAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var lastDay = DateOnly.FromDateTime(until.TimeOfDay == TimeSpan.Zero ? until : until.Date.AddDays(1));
        return (DateOnly.FromDateTime(since), lastDay);
    }

    private async Task<UsageStats> RollupStatsAsync(NpgsqlConnection connection, UsageQuery query, DateOnly since, DateOnly until, CancellationToken cancellationToken)
    {
        var where = "events > 0 AND day >= $1 AND day < $2"
            + (query.AppName is null ? "" : " AND app_name = $3")
            + (query.User is null ? "" : query.AppName is null ? " AND \"user\" = $3" : " AND \"user\" = $4");
        NpgsqlCommand Rollup(string sql)
        {
            var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue(since);
            command.Parameters.AddWithValue(until);
            if (query.AppName is not null)
            {
                command.Parameters.AddWithValue(query.AppName);
            }

            if (query.User is not null)
            {
                command.Parameters.AddWithValue(query.User);
            }

            return command;
        }

        long total = 0, users = 0, errors = 0;
        await using (var command = Rollup($"""
            SELECT COALESCE(SUM(events), 0)::bigint, COUNT(DISTINCT "user"), COALESCE(SUM(events) FILTER (WHERE action LIKE '%\_error%'), 0)::bigint
            FROM {_daily} WHERE {where}
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (total, users, errors) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        var byAction = new List<ActionCount>();
        await using (var command = Rollup($"""SELECT action, SUM(events)::bigint AS n FROM {_daily} WHERE {where} GROUP BY action ORDER BY n DESC, action COLLATE "C" """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byAction.Add(new ActionCount(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var byDay = new List<DayCount>();
        await using (var command = Rollup($"""SELECT day, SUM(events)::bigint, COUNT(DISTINCT "user") FROM {_daily} WHERE {where} GROUP BY day ORDER BY day"""))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byDay.Add(new DayCount(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        return new UsageStats(query.Since, query.Until, query.AppName, query.User, total, users, errors, byAction, byDay);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (columns.Count == 0)
        {
            yield break;
        }

        var extended = columns.ContainsKey("event_id");
        var withTimeZone = IsTimestampTz(columns);
        var select = extended
            ? "\"timestamp\", app_name, \"user\", action, event_id, session_id, detail, duration_ms, model, input_tokens, output_tokens, cost_usd, properties::text"
            : "\"timestamp\", app_name, \"user\", action";
        await using var command = Command(connection, $"SELECT {select} FROM {_table} WHERE {Where(query)} ORDER BY \"timestamp\"", query, withTimeZone);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var timestamp = reader.IsDBNull(0) ? default : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc));
            yield return new UsageEvent
            {
                Timestamp = timestamp,
                AppName = Text(reader, 1),
                User = Text(reader, 2),
                Action = Text(reader, 3) ?? "",
                EventId = extended ? Text(reader, 4) : null,
                SessionId = extended ? Text(reader, 5) : null,
                Detail = extended ? Text(reader, 6) : null,
                DurationMs = extended && !reader.IsDBNull(7) ? reader.GetDouble(7) : null,
                Model = extended ? Text(reader, 8) : null,
                InputTokens = extended && !reader.IsDBNull(9) ? reader.GetInt64(9) : null,
                OutputTokens = extended && !reader.IsDBNull(10) ? reader.GetInt64(10) : null,
                CostUsd = extended && !reader.IsDBNull(11) ? reader.GetDecimal(11) : null,
                PropertiesJson = extended ? Text(reader, 12) : null,
            };
        }
    }

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (columns.Count == 0)
        {
            return 0;
        }

        // Small chunks, each its own transaction, so writers never wait long behind the cleanup.
        await using var command = new NpgsqlCommand(
            $"DELETE FROM {_table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {_table} WHERE \"timestamp\" < $1 LIMIT {CleanupChunk}))", connection);
        command.Parameters.Add(TimestampParameter(cutoff, IsTimestampTz(columns)));
        long deleted = 0;
        int n;
        do
        {
            n = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            deleted += n;
        }
        while (n == CleanupChunk);
        await RemoveEmptyRollupRowsAsync(connection, "day < $1", DateOnly.FromDateTime(cutoff.UtcDateTime), cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private async Task<bool> RollupExistsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, transaction);
        exists.Parameters.AddWithValue(_daily);
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task RemoveEmptyRollupRowsAsync(NpgsqlConnection connection, string condition, object value, CancellationToken cancellationToken)
    {
        if (await RollupExistsAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand($"DELETE FROM {_daily} WHERE events <= 0 AND {condition}", connection);
            command.Parameters.AddWithValue(value);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (users.Count == 0 || (await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return 0;
        }

        await using var command = new NpgsqlCommand($"DELETE FROM {_table} WHERE \"user\" = ANY($1)", connection);
        command.Parameters.AddWithValue(users.ToArray());
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        // The trigger brought their daily counts to zero; erasure removes the rows that still name them.
        await RemoveEmptyRollupRowsAsync(connection, "\"user\" = ANY($1)", users.ToArray(), cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception exception) => exception switch
    {
        // Class 22 (data exception: bad text, out of range) and 23 (a constraint the data breaks) are the data's fault.
        PostgresException { SqlState: var state } when state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal)
            => StoreErrorKind.Rejected,
        _ => StoreErrorKind.Transient,
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await DropWriteConnectionAsync().ConfigureAwait(false);
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<NpgsqlConnection> WriteConnectionAsync(CancellationToken cancellationToken)
    {
        if (_writeConnection is { State: ConnectionState.Open })
        {
            return _writeConnection;
        }

        await DropWriteConnectionAsync().ConfigureAwait(false);
        _writeConnection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (_mode is not null)
        {
            await CreateStagingAsync(_writeConnection, cancellationToken).ConfigureAwait(false);
        }

        return _writeConnection;
    }

    private async Task DropWriteConnectionAsync()
    {
        if (_writeConnection is { } connection)
        {
            _writeConnection = null;
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or ObjectDisposedException)
            {
                // Already broken; nothing to close.
            }
        }
    }

    private async Task<StoreSchemaMode> EnsureSchemaCoreAsync(NpgsqlConnection connection, bool allowUpgrade, CancellationToken cancellationToken)
    {
        var columns = await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
        StoreSchemaMode mode;
        if (columns.Count == 0)
        {
            if (!allowUpgrade)
            {
                throw new UsageStoreException($"The table {TableName} does not exist in {Description} and UsageTracking:AllowSchemaUpgrade is false.");
            }

            await ExecuteAsync(connection, CreateTableSql(), cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Created usage table {Table} ({Store}).", TableName, Description);
            mode = StoreSchemaMode.Extended;
        }
        else if (columns.ContainsKey("event_id"))
        {
            await ExecuteAsync(connection, CreateIndexesSql(), cancellationToken).ConfigureAwait(false);
            mode = StoreSchemaMode.Extended;
        }
        else if (!allowUpgrade)
        {
            mode = StoreSchemaMode.Compat;
        }
        else
        {
            var add = string.Join(", ", ExtendedColumns.Select(c => $"ADD COLUMN IF NOT EXISTS {c}"));
            await ExecuteAsync(connection, $"ALTER TABLE {_table} {add}; {CreateIndexesSql()}", cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Added the extended columns to the 4-column usage table {Table} ({Store}).", TableName, Description);
            mode = StoreSchemaMode.Extended;
        }

        _timestampWithTimeZone = IsTimestampTz(await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false));
        if (mode == StoreSchemaMode.Extended && allowUpgrade)
        {
            await EnsureRollupAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Staging}", cancellationToken).ConfigureAwait(false);
        await CreateStagingAsync(connection, cancellationToken).ConfigureAwait(false);
        return mode;
    }

    /// <summary>
    /// The daily rollup: events per app, UTC day, action and user, kept by statement-level triggers with transition
    /// tables, so every insert, delete, update and truncate of the usage table counts — this tracker's, another tool's,
    /// a hand-written DELETE's. Created once with a backfill, under a lock that keeps writers out so no row is counted twice.
    /// Counts that fall to zero stay (removing them inside the trigger would race concurrent inserts); queries skip them,
    /// and retention and erasure remove them.
    /// </summary>
    private async Task EnsureRollupAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (await RollupExistsAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await using (var create = new NpgsqlCommand($"LOCK TABLE {_table} IN SHARE ROW EXCLUSIVE MODE; {CreateRollupSql()}", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Created the daily rollup {Rollup} of {Table}.", _dailyName, TableName);
    }

    internal string CreateRollupSql()
    {
        var function = (string name) => string.Join('.', _daily.Split('.')[..^1].Append(Quote($"{_dailyName}_{name}")));
        // The UTC day of a row: a timestamptz converted to UTC, or a seed table's timestamp, which is UTC already.
        var day = _timestampWithTimeZone == false ? "\"timestamp\"::date" : "(\"timestamp\" AT TIME ZONE 'UTC')::date";
        // Rows are grouped and sorted before touching the rollup, so concurrent writers lock its rows in one order.
        var addNewRows = $$"""
            INSERT INTO {{_daily}} (app_name, day, action, "user", events)
                SELECT app_name, {{day}}, action, "user", COUNT(*) FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
                ON CONFLICT (app_name, day, action, "user") DO UPDATE SET events = {{_daily}}.events + EXCLUDED.events;
            """;
        var subtractOldRows = $$"""
            UPDATE {{_daily}} AS d SET events = d.events - o.n
                FROM (SELECT app_name, {{day}} AS day, action, "user", COUNT(*) AS n FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) AS o
                WHERE d.app_name = o.app_name AND d.day = o.day AND d.action = o.action AND d."user" = o."user";
            """;
        return $$"""
            CREATE TABLE IF NOT EXISTS {{_daily}} (
                app_name text NOT NULL,
                day      date NOT NULL,
                action   text NOT NULL,
                "user"   text NOT NULL,
                events   bigint NOT NULL,
                PRIMARY KEY (app_name, day, action, "user")
            );
            INSERT INTO {{_daily}} (app_name, day, action, "user", events)
            SELECT app_name, {{day}}, action, "user", COUNT(*) FROM {{_table}} GROUP BY 1, 2, 3, 4;

            CREATE OR REPLACE FUNCTION {{function("add")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                {{addNewRows}}
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE FUNCTION {{function("remove")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                {{subtractOldRows}}
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE FUNCTION {{function("change")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                {{subtractOldRows}}
                {{addNewRows}}
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE FUNCTION {{function("truncate")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                TRUNCATE {{_daily}};
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE TRIGGER {{Quote($"{_dailyName}_insert")}} AFTER INSERT ON {{_table}}
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{function("add")}}();
            CREATE OR REPLACE TRIGGER {{Quote($"{_dailyName}_delete")}} AFTER DELETE ON {{_table}}
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {{function("remove")}}();
            CREATE OR REPLACE TRIGGER {{Quote($"{_dailyName}_update")}} AFTER UPDATE ON {{_table}}
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{function("change")}}();
            CREATE OR REPLACE TRIGGER {{Quote($"{_dailyName}_truncate")}} AFTER TRUNCATE ON {{_table}}
                FOR EACH STATEMENT EXECUTE FUNCTION {{function("truncate")}}();
            """;
    }

    private Task CreateStagingAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, $"CREATE TEMP TABLE IF NOT EXISTS usage_tracking_staging (LIKE {_table}) ON COMMIT DELETE ROWS", cancellationToken);

    internal string CreateTableSql() => $"""
        CREATE TABLE IF NOT EXISTS {_table} (
            "timestamp"   timestamptz NOT NULL,
            app_name      text NOT NULL,
            "user"        text NOT NULL,
            action        text NOT NULL,
            event_id      text,
            session_id    text,
            detail        text,
            duration_ms   double precision,
            model         text,
            input_tokens  bigint,
            output_tokens bigint,
            cost_usd      numeric,
            properties    jsonb
        );
        {CreateIndexesSql()}
        """;

    // The same two indexes as the SQLite store, for the same reason: the unique idempotency key, and app + time
    // for stats and the analyses. More indexes cost every write (docs/benchmarks.md).
    internal string CreateIndexesSql() => $"""
        CREATE UNIQUE INDEX IF NOT EXISTS {Quote($"ux_{_indexPrefix}_event_id")} ON {_table} (event_id);
        CREATE INDEX IF NOT EXISTS {Quote($"ix_{_indexPrefix}_app_time")} ON {_table} (app_name, "timestamp");
        """;

    private async Task<Dictionary<string, string>> ColumnsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_name = $1 AND table_schema = COALESCE(NULLIF($2, ''), current_schema())
            """, connection);
        command.Parameters.AddWithValue(TableName);
        command.Parameters.AddWithValue(_schema);
        var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            columns[reader.GetString(0)] = reader.GetString(1);
        }

        return columns;
    }

    private static bool IsTimestampTz(Dictionary<string, string> columns) =>
        !columns.TryGetValue("timestamp", out var type) || type == "timestamp with time zone";

    private static string Where(UsageQuery query)
    {
        var where = "\"timestamp\" >= $1 AND \"timestamp\" < $2";
        if (query.AppName is not null)
        {
            where += " AND app_name = $3";
        }

        if (query.User is not null)
        {
            where += query.AppName is null ? " AND \"user\" = $3" : " AND \"user\" = $4";
        }

        return where;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, UsageQuery query, bool withTimeZone)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(TimestampParameter(query.Since, withTimeZone));
        command.Parameters.Add(TimestampParameter(query.Until, withTimeZone));
        if (query.AppName is not null)
        {
            command.Parameters.AddWithValue(query.AppName);
        }

        if (query.User is not null)
        {
            command.Parameters.AddWithValue(query.User);
        }

        return command;
    }

    private static NpgsqlParameter TimestampParameter(DateTimeOffset value, bool withTimeZone)
    {
        var clamped = value < DateTimeOffset.UnixEpoch.AddYears(-1000) ? DateTimeOffset.UnixEpoch.AddYears(-1000) : value;
        return withTimeZone
            ? new NpgsqlParameter { Value = clamped.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz }
            : new NpgsqlParameter { Value = DateTime.SpecifyKind(clamped.UtcDateTime, DateTimeKind.Unspecified), NpgsqlDbType = NpgsqlDbType.Timestamp };
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

using Npgsql;
using UsageTracking.Sql;

namespace UsageTracking.PostgreSql;

/// <summary>The table's shape as found: its columns and their types.</summary>
/// <param name="Columns">Column name → data type, as information_schema says.</param>
internal sealed record PgShape(IReadOnlyDictionary<string, string> Columns)
{
    public bool Exists => Columns.Count > 0;

    public bool Extended => Columns.ContainsKey("event_id");

    public StoreSchemaMode Mode => Extended ? StoreSchemaMode.Extended : StoreSchemaMode.Compat;

    /// <summary>A <c>timestamptz</c> column (the store's), rather than a seed table's <c>timestamp</c> holding UTC.</summary>
    public bool TimestampTz => !Columns.TryGetValue("timestamp", out var type) || type == "timestamp with time zone";

    public bool Has(string column) => Columns.ContainsKey(column);

    /// <summary>The UTC time of a row as a <c>timestamp</c>.</summary>
    public string Utc => TimestampTz ? "(\"timestamp\" AT TIME ZONE 'UTC')" : "\"timestamp\"";

    /// <summary>Whether a row is an error: its <c>is_error</c>, or the naming rule for rows (or tables) without it (<see cref="UsageErrors"/>).</summary>
    public string Error => Has("is_error") ? $"COALESCE(is_error, {PostgresRollups.ErrorByName})" : PostgresRollups.ErrorByName;
}

public sealed partial class PostgresUsageStore
{
    private const string Staging = "pg_temp.usage_tracking_staging";

    private static IReadOnlyList<SqlColumn> ExpectedColumns { get; } = UsageColumns.All.Select(c => new SqlColumn(c.Name, SqlType(c.Type))).ToList();

    /// <inheritdoc />
    public async Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await WriteConnectionAsync(cancellationToken).ConfigureAwait(false);
            _shape = await EnsureSchemaCoreAsync(connection, allowUpgrade, cancellationToken).ConfigureAwait(false);
            return _shape.Mode;
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

    private async Task<PgShape> EnsureSchemaCoreAsync(NpgsqlConnection connection, bool allowUpgrade, CancellationToken cancellationToken)
    {
        var shape = await ShapeAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!shape.Exists)
        {
            if (!allowUpgrade)
            {
                throw new UsageStoreException($"The table {TableName} does not exist in {Description} and UsageTracking:AllowSchemaUpgrade is false.");
            }

            await ExecuteAsync(connection, CreateTableSql(), cancellationToken).ConfigureAwait(false);
            Log.TableCreated(_logger, TableName, Description);
        }
        else if (allowUpgrade && UsageColumns.Extended.Where(c => !shape.Has(c.Name)).ToList() is { Count: > 0 } missing)
        {
            var add = string.Join(", ", missing.Select(c => $"ADD COLUMN IF NOT EXISTS {ColumnSql(c)}"));
            await ExecuteAsync(connection, $"ALTER TABLE {_table} {add}", cancellationToken).ConfigureAwait(false);
            Log.ColumnsAdded(_logger, string.Join(", ", missing.Select(c => c.Name)), TableName, Description);
        }

        shape = await ShapeAsync(connection, cancellationToken).ConfigureAwait(false);
        if (shape.Extended)
        {
            await ExecuteAsync(connection, CreateIndexesSql(), cancellationToken).ConfigureAwait(false);
            if (allowUpgrade && shape.Has("is_error"))
            {
                await EnsureRollupsAsync(connection, shape, cancellationToken).ConfigureAwait(false);
            }
        }

        await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Staging}", cancellationToken).ConfigureAwait(false);
        await CreateStagingAsync(connection, cancellationToken).ConfigureAwait(false);
        return shape;
    }

    /// <summary>Creates the rollups and their triggers, filled from the rows, under a lock that keeps writers out so no row is counted twice.</summary>
    private async Task EnsureRollupsAsync(NpgsqlConnection connection, PgShape shape, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Rollups counted for other funnel steps are recreated: the triggers hold the steps they count.
        if (await _rollups.ExistAsync(connection, transaction, cancellationToken).ConfigureAwait(false)
            && await _rollups.CountsStepsAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await ExecuteAsync(connection, $"LOCK TABLE {_table} IN SHARE ROW EXCLUSIVE MODE; {_rollups.CreateSql(_table, shape)}", cancellationToken, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Log.RollupsCreated(_logger, TableName, watch.Elapsed.TotalMilliseconds);
    }

    private Task CreateStagingAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, $"CREATE TEMP TABLE IF NOT EXISTS usage_tracking_staging (LIKE {_table}) ON COMMIT DELETE ROWS", cancellationToken);

    internal string CreateTableSql() => $"""
        CREATE TABLE IF NOT EXISTS {_table} (
            {string.Join(",\n    ", UsageColumns.All.Select(ColumnSql))}
        );
        {CreateIndexesSql()}
        """;

    // The same indexes as the SQLite store, for the same reasons: the unique idempotency key, app + time for stats and
    // the analyses, and a partial one holding only chat messages (nothing for other rows) through which the rollup
    // triggers recount the conversations a DELETE cut. More full indexes cost every write (docs/benchmarks.md).
    internal string CreateIndexesSql() => $"""
        CREATE UNIQUE INDEX IF NOT EXISTS {Quote($"ux_{TableName}_event_id")} ON {_table} (event_id);
        CREATE INDEX IF NOT EXISTS {Quote($"ix_{TableName}_app_time")} ON {_table} (app_name, "timestamp");
        CREATE INDEX IF NOT EXISTS {Quote($"ix_{TableName}_conversation_messages")} ON {_table} (session_id, "timestamp")
            WHERE action IN ({Analytics.ConversationBuckets.SqlMessageActions});
        """;

    private static string ColumnSql(UsageColumn column) => $"{Quote(column.Name)} {SqlType(column.Type)}{(column.Seed ? " NOT NULL" : "")}";

    private static string SqlType(UsageColumnType type) => type switch
    {
        UsageColumnType.Timestamp => "timestamptz",
        UsageColumnType.Text => "text",
        UsageColumnType.Integer => "bigint",
        UsageColumnType.Real => "double precision",
        UsageColumnType.Decimal => "numeric",
        UsageColumnType.Boolean => "boolean",
        _ => "jsonb",
    };

    private async Task<PgShape> ShapeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
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

        return new PgShape(columns);
    }
}

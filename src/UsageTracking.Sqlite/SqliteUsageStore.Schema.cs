using Microsoft.Data.Sqlite;
using UsageTracking.Sql;

namespace UsageTracking.Sqlite;

/// <summary>The table's shape as found: which of <see cref="UsageColumns"/> it has.</summary>
/// <param name="Columns">Its column names.</param>
internal sealed record TableShape(IReadOnlySet<string> Columns)
{
    public bool Exists => Columns.Count > 0;

    /// <summary>The extended schema: an <c>event_id</c> to deduplicate on.</summary>
    public bool Extended => Columns.Contains("event_id");

    public StoreSchemaMode Mode => Extended ? StoreSchemaMode.Extended : StoreSchemaMode.Compat;

    public bool Has(string column) => Columns.Contains(column);
}

public sealed partial class SqliteUsageStore
{
    /// <summary>The columns the store creates, as the query app's schema panel shows them before the table exists.</summary>
    private static IReadOnlyList<SqlColumn> ExpectedColumns { get; } = UsageColumns.All.Select(c => new SqlColumn(c.Name, SqlType(c.Type))).ToList();

    /// <inheritdoc />
    public async Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = WriteConnection();
            _shape = EnsureSchema(connection, allowUpgrade);
            ResetInsert();
            return _shape.Mode;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private TableShape EnsureSchema(SqliteConnection connection, bool allowUpgrade)
    {
        var shape = EnsureTable(connection, allowUpgrade);
        if (_rollups.Ensure(connection) is { } reason)
        {
            // New rollups (or ones of an earlier layout, or of other funnels) over an existing table: count them once from its rows.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            _rollups.Rebuild(connection, shape);
            Log.RollupsBuilt(_logger, TableName, reason, watch.Elapsed.TotalMilliseconds);
        }

        return shape;
    }

    private TableShape EnsureTable(SqliteConnection connection, bool allowUpgrade)
    {
        var shape = Shape(connection);
        if (!shape.Exists)
        {
            if (!allowUpgrade)
            {
                throw new UsageStoreException($"The table {TableName} does not exist in {DatabasePath} and UsageTracking:AllowSchemaUpgrade is false.");
            }

            Execute(connection, CreateTableSql());
            Log.TableCreated(_logger, TableName, DatabasePath);
            return Shape(connection);
        }

        // A seed table stays as it is without permission to upgrade; an extended one without is_error keeps being written without it.
        var missing = UsageColumns.Extended.Where(c => !shape.Has(c.Name)).ToList();
        if (missing.Count > 0 && allowUpgrade)
        {
            using (var transaction = connection.BeginTransaction())
            {
                foreach (var column in missing)
                {
                    Execute(connection, $"ALTER TABLE {_table} ADD COLUMN {ColumnSql(column)}", transaction);
                }

                transaction.Commit();
            }

            Log.ColumnsAdded(_logger, string.Join(", ", missing.Select(c => c.Name)), TableName, DatabasePath);
            shape = Shape(connection);
        }

        if (shape.Extended)
        {
            Execute(connection, CreateIndexesSql());
        }

        return shape;
    }

    internal string CreateTableSql() => $"""
        CREATE TABLE IF NOT EXISTS {_table} (
            {string.Join(",\n    ", UsageColumns.All.Select(ColumnSql))}
        );
        {CreateIndexesSql()}
        """;

    // Two full indexes, chosen by measurement: each further one costs a b-tree insert per row (four indexes
    // halved the drain rate, docs/benchmarks.md). Stats and the analyses filter by app and time; retention
    // deletes the oldest rows, which rowid order finds first. The third holds only chat messages (nothing for
    // other apps' rows): retention and erasure find the conversations' rows through it to recount them.
    internal string CreateIndexesSql() => $"""
        CREATE UNIQUE INDEX IF NOT EXISTS {Quote($"ux_{TableName}_event_id")} ON {_table} (event_id);
        CREATE INDEX IF NOT EXISTS {Quote($"ix_{TableName}_app_time")} ON {_table} (app_name, "timestamp");
        CREATE INDEX IF NOT EXISTS {Quote($"ix_{TableName}_conversation_messages")} ON {_table} (session_id, "timestamp")
            WHERE action IN ({Analytics.ConversationBuckets.SqlMessageActions});
        """;

    private static string ColumnSql(UsageColumn column) => $"{Quote(column.Name)} {SqlType(column.Type)}{(column.Seed ? " NOT NULL" : "")}";

    private static string SqlType(UsageColumnType type) => type switch
    {
        UsageColumnType.Timestamp or UsageColumnType.Text or UsageColumnType.Json => "TEXT",
        UsageColumnType.Integer or UsageColumnType.Boolean => "INTEGER",
        _ => "REAL",
    };

    private TableShape Shape(SqliteConnection connection)
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

        return new TableShape(columns);
    }
}

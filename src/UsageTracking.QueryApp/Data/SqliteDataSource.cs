using Microsoft.Data.Sqlite;
using SQLitePCL;
using UsageTracking.QueryApp.Sql;

namespace UsageTracking.QueryApp.Data;

/// <summary>
/// A table in a SQLite file, queried on a read-only connection (<c>Mode=ReadOnly</c> plus <c>query_only</c>), after
/// SQLite itself confirms the text is one statement that does not write (<c>sqlite3_stmt_readonly</c>).
/// </summary>
public sealed class SqliteDataSource(string id, string title, string domain, string path, string table, TableSchema? expected = null) : IDataSource
{
    private TableSchema? _schema;

    /// <inheritdoc />
    public string Id => id;

    /// <inheritdoc />
    public string Title => title;

    /// <inheritdoc />
    public SqlDialect Dialect => SqlDialect.Sqlite;

    /// <inheritdoc />
    public string Domain => domain;

    /// <summary>The database file.</summary>
    public string Path => path;

    /// <inheritdoc />
    public async Task<TableSchema> GetSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schema is { } cached)
        {
            return cached;
        }

        if (!File.Exists(path) && expected is not null)
        {
            return expected;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, type FROM pragma_table_info($table) ORDER BY cid";
        command.Parameters.AddWithValue("$table", table);
        var columns = new List<(string, string)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        if (columns.Count == 0 && expected is not null)
        {
            // The tracker creates its table on the first write; until then, describe the table it will create.
            return expected;
        }

        if (columns.Count == 0)
        {
            throw new QueryFailedException($"The table {table} does not exist in {path} yet.");
        }

        return _schema = new TableSchema(table, columns);
    }

    /// <inheritdoc />
    public async Task<IQueryReader> OpenAsync(string sql, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureSingleReadOnlyStatement(connection, sql);
            var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timer.CancelAfter(timeout);
            var handle = connection.Handle!;
            var interrupt = timer.Token.Register(() => raw.sqlite3_interrupt(handle));
            var command = connection.CreateCommand();
            command.CommandText = sql;
            try
            {
                var reader = await command.ExecuteReaderAsync(timer.Token).ConfigureAwait(false);
                return new Reader(connection, command, reader, timer, interrupt, timeout, cancellationToken);
            }
            catch (Exception ex) when (ex is SqliteException or OperationCanceledException)
            {
                await interrupt.DisposeAsync().ConfigureAwait(false);
                timer.Dispose();
                await command.DisposeAsync().ConfigureAwait(false);
                throw Failure(ex, timeout, cancellationToken);
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new QueryFailedException($"The database file {path} does not exist yet.");
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA query_only = 1";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static void EnsureSingleReadOnlyStatement(SqliteConnection connection, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement, out var tail);
        using (statement)
        {
            if (rc != raw.SQLITE_OK)
            {
                throw new QueryFailedException(Sentence(raw.sqlite3_errmsg(connection.Handle).utf8_to_string()));
            }

            if (!string.IsNullOrWhiteSpace(tail))
            {
                throw new QueryFailedException("Only one statement can run at a time.");
            }

            if (statement is null || statement.IsInvalid || raw.sqlite3_stmt_readonly(statement) == 0)
            {
                throw new QueryFailedException("Only read-only queries can run.");
            }
        }
    }

    private static QueryFailedException Failure(Exception ex, TimeSpan timeout, CancellationToken caller) => ex switch
    {
        OperationCanceledException when caller.IsCancellationRequested => new QueryFailedException("The query was cancelled.", ex),
        OperationCanceledException => new QueryFailedException($"The query ran longer than {timeout.TotalSeconds:0.#} s and was stopped.", ex),
        SqliteException { SqliteErrorCode: raw.SQLITE_INTERRUPT } => new QueryFailedException($"The query ran longer than {timeout.TotalSeconds:0.#} s and was stopped.", ex),
        SqliteException sqlite => new QueryFailedException(Sentence(sqlite.Message), ex),
        _ => new QueryFailedException("The query failed.", ex),
    };

    // "SQLite Error 1: 'no such column: foo'." → "The database says: no such column: foo."
    private static string Sentence(string message)
    {
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = message.LastIndexOf('\'');
        var core = start >= 0 && end > start ? message[(start + 1)..end] : message.TrimEnd('.');
        return $"The database says: {core}.";
    }

    private sealed class Reader(
        SqliteConnection connection, SqliteCommand command, SqliteDataReader reader, CancellationTokenSource timer,
        CancellationTokenRegistration interrupt, TimeSpan timeout, CancellationToken caller) : IQueryReader
    {
        private readonly string[] _names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();

        public IReadOnlyList<string> Names => _names;

        public object?[] Current { get; } = new object?[reader.FieldCount];

        public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
        {
            try
            {
                if (!await reader.ReadAsync(timer.Token).ConfigureAwait(false))
                {
                    return false;
                }
            }
            catch (Exception ex) when (ex is SqliteException or OperationCanceledException)
            {
                throw Failure(ex, timeout, caller);
            }

            for (var i = 0; i < Current.Length; i++)
            {
                Current[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            return true;
        }

        public async ValueTask DisposeAsync()
        {
            await interrupt.DisposeAsync().ConfigureAwait(false);
            await reader.DisposeAsync().ConfigureAwait(false);
            await command.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            timer.Dispose();
        }
    }
}

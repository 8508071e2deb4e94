using Microsoft.Data.Sqlite;
using SQLitePCL;
using UsageTracking.Sql;

namespace UsageTracking.Sqlite;

/// <summary>
/// A table in a SQLite file, queried on a read-only connection (<c>Mode=ReadOnly</c> plus <c>query_only</c>), after
/// SQLite itself confirms the text is one statement that does not write (<c>sqlite3_stmt_readonly</c>); a query running
/// past its timeout is interrupted (<c>sqlite3_interrupt</c>). No value may grow past <see cref="SqlLimits.MaxValueBytes"/>
/// (<c>SQLITE_LIMIT_LENGTH</c>: <c>randomblob(1e9)</c> fails before it is made), and sorts and temporary tables stay in
/// memory (<c>temp_store = MEMORY</c>), where <see cref="LimitProcessMemory"/> bounds them, rather than filling the disk.
/// </summary>
public sealed class SqliteSqlSource : IReadOnlySqlSource
{
    private readonly string _path;
    private readonly IReadOnlyList<SqlColumn>? _expected;
    private IReadOnlyList<SqlColumn>? _columns;

    /// <summary>A table in a SQLite file.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="table">The table queries are about.</param>
    /// <param name="expected">The columns to describe while the file or table does not exist yet; null to say it does not.</param>
    public SqliteSqlSource(string path, string table, IReadOnlyList<SqlColumn>? expected = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        _path = path;
        TableName = table;
        _expected = expected;
    }

    /// <inheritdoc />
    public SqlDialect Dialect => SqlDialect.Sqlite;

    /// <inheritdoc />
    public string TableName { get; }

    /// <summary>The database file.</summary>
    public string Path => _path;

    /// <inheritdoc />
    public async Task<IReadOnlyList<SqlColumn>> GetColumnsAsync(CancellationToken cancellationToken)
    {
        if (_columns is { } cached)
        {
            return cached;
        }

        if (!File.Exists(_path) && _expected is not null)
        {
            return _expected;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, type FROM pragma_table_info($table) ORDER BY cid";
        command.Parameters.AddWithValue("$table", TableName);
        var columns = new List<SqlColumn>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add(new SqlColumn(reader.GetString(0), reader.GetString(1)));
            }
        }

        if (columns.Count == 0 && _expected is not null)
        {
            // The tracker creates its table on the first write; until then, describe the table it will create.
            return _expected;
        }

        if (columns.Count == 0)
        {
            throw new SqlQueryException($"The table {TableName} does not exist in {_path} yet.");
        }

        return _columns = columns;
    }

    /// <summary>
    /// Caps the memory every SQLite connection of this process may allocate together (<c>sqlite3_hard_heap_limit64</c>):
    /// a query that would need more fails with an out-of-memory error, told as one sentence, instead of taking the host's
    /// memory. The embedded usage store's own connections need a few megabytes and count against it too; should one of its
    /// writes meet the cap, the tracker retries or spools the batch.
    /// </summary>
    /// <param name="bytes">The cap; 0 removes it.</param>
    public static void LimitProcessMemory(long bytes)
    {
        // The provider is set up by the first SqliteConnection; this may run before any.
        SQLitePCL.Batteries_V2.Init();
        raw.sqlite3_hard_heap_limit64(bytes);
    }

    /// <inheritdoc />
    public async Task<IRowReader> OpenAsync(string sql, SqlLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var timeout = limits.Timeout;
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            raw.sqlite3_limit(connection.Handle, raw.SQLITE_LIMIT_LENGTH, limits.MaxValueBytes);
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
                return new Reader(connection, command, reader, timer, interrupt, limits, cancellationToken);
            }
            catch (Exception ex) when (ex is SqliteException or OperationCanceledException)
            {
                await interrupt.DisposeAsync().ConfigureAwait(false);
                timer.Dispose();
                await command.DisposeAsync().ConfigureAwait(false);
                throw Failure(ex, limits, cancellationToken);
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>SQLite prepares the statement (<c>sqlite3_prepare_v2</c>), which resolves every name, and checks it is one read-only statement.</remarks>
    public async Task CheckAsync(string sql, SqlLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        EnsureSingleReadOnlyStatement(connection, sql);
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_path))
        {
            throw new SqlQueryException($"The database file {_path} does not exist yet.");
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA query_only = 1; PRAGMA temp_store = MEMORY";
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
                throw new SqlQueryException(Sentence(raw.sqlite3_errmsg(connection.Handle).utf8_to_string()));
            }

            if (!string.IsNullOrWhiteSpace(tail))
            {
                throw new SqlQueryException("Only one statement can run at a time.");
            }

            if (statement is null || statement.IsInvalid || raw.sqlite3_stmt_readonly(statement) == 0)
            {
                throw new SqlQueryException("Only read-only queries can run.");
            }

            if (raw.sqlite3_bind_parameter_count(statement) > 0)
            {
                throw new SqlQueryException($"The query has a parameter ({raw.sqlite3_bind_parameter_name(statement, 1).utf8_to_string()}); replace it with a value.");
            }
        }
    }

    private static SqlQueryException Failure(Exception ex, SqlLimits limits, CancellationToken caller) => ex switch
    {
        OperationCanceledException when caller.IsCancellationRequested => new SqlQueryException("The query was cancelled.", ex),
        OperationCanceledException => new SqlQueryException($"The query ran longer than {limits.Timeout.TotalSeconds:0.#} s and was stopped.", ex),
        SqliteException { SqliteErrorCode: raw.SQLITE_INTERRUPT } => new SqlQueryException($"The query ran longer than {limits.Timeout.TotalSeconds:0.#} s and was stopped.", ex),
        SqliteException { SqliteErrorCode: raw.SQLITE_TOOBIG } => new SqlQueryException(limits.ValueTooLarge, ex),
        SqliteException { SqliteErrorCode: raw.SQLITE_NOMEM } => new SqlQueryException("The query needs more memory than the app allows for queries; narrow it (a WHERE, fewer rows to sort or group) and run it again.", ex),
        SqliteException sqlite => new SqlQueryException(Sentence(sqlite.Message), ex),
        _ => new SqlQueryException("The query failed.", ex),
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
        CancellationTokenRegistration interrupt, SqlLimits limits, CancellationToken caller) : IRowReader
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
                throw Failure(ex, limits, caller);
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

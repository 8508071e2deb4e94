using Npgsql;
using UsageTracking.Sql;

namespace UsageTracking.PostgreSql;

/// <summary>
/// A PostgreSQL table queried inside a <c>READ ONLY</c> transaction with a <c>statement_timeout</c>, rolled back afterwards:
/// the database itself refuses any write the SQL might attempt. Rows are read column by column (sequential access), so a
/// value over <see cref="SqlLimits.MaxValueBytes"/> fails the query after that many bytes instead of being held whole.
/// Temporary files of sorts are the server's to bound: set <c>temp_file_limit</c> for the app's role.
/// </summary>
public sealed class PostgresSqlSource : IReadOnlySqlSource, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly string _name;
    private readonly IReadOnlyList<SqlColumn>? _expected;
    private IReadOnlyList<SqlColumn>? _columns;

    /// <summary>A table in a PostgreSQL database.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="table"><c>name</c> or <c>schema.name</c>.</param>
    /// <param name="expected">The columns to describe while the table does not exist yet; null to say it does not.</param>
    public PostgresSqlSource(string connectionString, string table, IReadOnlyList<SqlColumn>? expected = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        var parts = table.Split('.');
        _schema = parts.Length == 2 ? parts[0] : "";
        _name = parts[^1];
        TableName = table;
        _expected = expected;
    }

    /// <inheritdoc />
    public SqlDialect Dialect => SqlDialect.Postgres;

    /// <inheritdoc />
    public string TableName { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SqlColumn>> GetColumnsAsync(CancellationToken cancellationToken)
    {
        if (_columns is { } cached)
        {
            return cached;
        }

        try
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT column_name, data_type FROM information_schema.columns
                WHERE table_name = $1 AND table_schema = COALESCE(NULLIF($2, ''), current_schema()) ORDER BY ordinal_position
                """);
            command.Parameters.AddWithValue(_name);
            command.Parameters.AddWithValue(_schema);
            var columns = new List<SqlColumn>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add(new SqlColumn(reader.GetString(0), reader.GetString(1)));
            }

            if (columns.Count == 0)
            {
                return _expected ?? throw new SqlQueryException($"The table {TableName} does not exist in the PostgreSQL database yet.");
            }

            return _columns = columns;
        }
        catch (NpgsqlException ex)
        {
            throw new SqlQueryException("The PostgreSQL database could not be reached.", ex);
        }
    }

    /// <inheritdoc />
    public async Task<IRowReader> OpenAsync(string sql, SqlLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var timeout = limits.Timeout;
        NpgsqlConnection? connection = null;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await BeginReadOnlyAsync(connection, timeout, cancellationToken).ConfigureAwait(false);

            // A batch of one command goes to the server as one prepared statement, which it refuses to hold several of.
            var command = new NpgsqlBatch(connection, transaction) { BatchCommands = { new NpgsqlBatchCommand(sql) } };
            var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            return new Reader(connection, transaction, command, reader, limits);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw Failure(ex, timeout);
        }
    }

    /// <inheritdoc />
    /// <remarks>PostgreSQL plans the query (<c>EXPLAIN</c>, which does not run it) in a read-only transaction.</remarks>
    public async Task CheckAsync(string sql, SqlLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await BeginReadOnlyAsync(connection, limits.Timeout, cancellationToken).ConfigureAwait(false);

            await using var explain = new NpgsqlBatch(connection, transaction) { BatchCommands = { new NpgsqlBatchCommand($"EXPLAIN {sql}") } };
            await explain.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            throw Failure(ex, limits.Timeout);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    // The database itself refuses writes in this transaction, and stops a statement at the timeout.
    private static async Task<NpgsqlTransaction> BeginReadOnlyAsync(NpgsqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var setup = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {(int)timeout.TotalMilliseconds}", connection, transaction);
        await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return transaction;
    }

    private static SqlQueryException Failure(Exception ex, TimeSpan timeout) => ex switch
    {
        PostgresException { SqlState: "57014" } => new SqlQueryException($"The query ran longer than {timeout.TotalSeconds:0.#} s and was stopped.", ex),
        PostgresException pg => new SqlQueryException($"The database says: {pg.MessageText}.", ex),
        OperationCanceledException => new SqlQueryException("The query was cancelled.", ex),
        _ => new SqlQueryException("The PostgreSQL database could not be reached.", ex),
    };

    private sealed class Reader(NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlBatch command, NpgsqlDataReader reader, SqlLimits limits) : IRowReader
    {
        private static readonly HashSet<string> TextTypes = new(StringComparer.Ordinal) { "text", "character varying", "character", "json", "jsonb", "xml", "name", "unknown" };
        private readonly string[] _names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        private readonly string[] _types = Enumerable.Range(0, reader.FieldCount).Select(reader.GetDataTypeName).ToArray();

        public IReadOnlyList<string> Names => _names;

        public object?[] Current { get; } = new object?[reader.FieldCount];

        public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
        {
            try
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
            {
                throw Failure(ex, limits.Timeout);
            }

            try
            {
                for (var i = 0; i < Current.Length; i++)
                {
                    Current[i] = await ValueAsync(i, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
            {
                throw Failure(ex, limits.Timeout);
            }

            return true;
        }

        // Text and bytes are read up to the limit and no further; anything else is small by its type.
        private async ValueTask<object?> ValueAsync(int i, CancellationToken cancellationToken)
        {
            if (await reader.IsDBNullAsync(i, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            if (_types[i] == "bytea")
            {
                await using var stream = await reader.GetStreamAsync(i, cancellationToken).ConfigureAwait(false);
                var bytes = new MemoryStream();
                var buffer = new byte[81920];
                int n;
                while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    bytes.Write(buffer, 0, n);
                    if (bytes.Length > limits.MaxValueBytes)
                    {
                        throw new SqlQueryException(limits.ValueTooLarge);
                    }
                }

                return bytes.ToArray();
            }

            if (TextTypes.Contains(_types[i]))
            {
                using var text = await reader.GetTextReaderAsync(i, cancellationToken).ConfigureAwait(false);
                var value = new System.Text.StringBuilder();
                var chars = new char[8192];
                int n;
                while ((n = await text.ReadAsync(chars, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    value.Append(chars, 0, n);
                    if (value.Length > limits.MaxValueBytes)
                    {
                        throw new SqlQueryException(limits.ValueTooLarge);
                    }
                }

                return value.ToString();
            }

            return await reader.GetFieldValueAsync<object>(i, cancellationToken).ConfigureAwait(false);
        }

        // Closing the reader reads what is left of the result, where the server may still report an error (a later
        // statement refused, a timeout): the query is over either way, and the transaction is rolled back with the connection.
        public async ValueTask DisposeAsync()
        {
            try
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
            {
            }

            await command.DisposeAsync().ConfigureAwait(false);
            try
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

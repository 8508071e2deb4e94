using Npgsql;
using UsageTracking.QueryApp.Sql;

namespace UsageTracking.QueryApp.Data;

/// <summary>
/// A PostgreSQL table (the usage table when the tracker's store is PostgreSQL), queried inside a
/// <c>READ ONLY</c> transaction with a <c>statement_timeout</c>, rolled back afterwards.
/// </summary>
public sealed class PostgresDataSource(string id, string title, string domain, string connectionString, string table) : IDataSource, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);
    private TableSchema? _schema;

    /// <inheritdoc />
    public string Id => id;

    /// <inheritdoc />
    public string Title => title;

    /// <inheritdoc />
    public SqlDialect Dialect => SqlDialect.Postgres;

    /// <inheritdoc />
    public string Domain => domain;

    /// <inheritdoc />
    public async Task<TableSchema> GetSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schema is { } cached)
        {
            return cached;
        }

        try
        {
            await using var command = _dataSource.CreateCommand(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position");
            command.Parameters.AddWithValue(table);
            var columns = new List<(string, string)>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((reader.GetString(0), reader.GetString(1)));
            }

            return columns.Count == 0
                ? throw new QueryFailedException($"The table {table} does not exist in the PostgreSQL database yet.")
                : _schema = new TableSchema(table, columns);
        }
        catch (NpgsqlException ex)
        {
            throw new QueryFailedException("The PostgreSQL database could not be reached.", ex);
        }
    }

    /// <inheritdoc />
    public async Task<IQueryReader> OpenAsync(string sql, TimeSpan timeout, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var setup = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {(int)timeout.TotalMilliseconds}", connection, transaction))
            {
                await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var command = new NpgsqlCommand(sql, connection, transaction);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return new Reader(connection, transaction, command, reader);
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
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static QueryFailedException Failure(Exception ex, TimeSpan timeout) => ex switch
    {
        PostgresException { SqlState: "57014" } => new QueryFailedException($"The query ran longer than {timeout.TotalSeconds:0.#} s and was stopped.", ex),
        PostgresException pg => new QueryFailedException($"The database says: {pg.MessageText}.", ex),
        OperationCanceledException => new QueryFailedException("The query was cancelled.", ex),
        _ => new QueryFailedException("The PostgreSQL database could not be reached.", ex),
    };

    private sealed class Reader(NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlCommand command, NpgsqlDataReader reader) : IQueryReader
    {
        private readonly string[] _names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();

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
            catch (NpgsqlException ex)
            {
                throw Failure(ex, TimeSpan.Zero);
            }

            for (var i = 0; i < Current.Length; i++)
            {
                Current[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            return true;
        }

        public async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            await command.DisposeAsync().ConfigureAwait(false);
            await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

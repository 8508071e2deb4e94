using System.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using UsageTracking.Analytics;
using UsageTracking.Sql;

namespace UsageTracking.PostgreSql;

/// <summary>
/// The usage table in PostgreSQL. A batch is one transaction: a binary <c>COPY</c> into a session-local staging table,
/// then <c>INSERT … SELECT … ON CONFLICT (event_id) DO NOTHING</c>, so a replayed batch adds nothing and COPY's speed is
/// kept. <c>properties</c> is <c>jsonb</c>; <c>timestamp</c> is <c>timestamptz</c> (a seed table's <c>timestamp without
/// time zone</c> is written in UTC). Rollups beside it are kept by statement-level triggers (<see cref="PostgresRollups"/>).
/// The parts: schema (<c>.Schema.cs</c>), writes (<c>.Write.cs</c>), reads (<c>.Read.cs</c>), aggregates (<c>.Aggregates.cs</c>),
/// retention and erasure (<c>.Retention.cs</c>).
/// </summary>
public sealed partial class PostgresUsageStore : IUsageStore, IUsageReader, IUsageAggregates, IUsageRetention, IUsageFunnelCounts
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private readonly string _schema;
    private readonly PostgresRollups _rollups;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly PostgresSqlSource _sql;
    private NpgsqlConnection? _writeConnection;
    private PgShape? _shape;
    private int _disposed;

    /// <summary>Creates the store; nothing connects until the first call.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="tableName">The table: <c>name</c> or <c>schema.name</c>.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock; null for the system clock.</param>
    /// <param name="funnels">The configured funnels whose steps the rollups count as rows are written (<see cref="IUsageFunnelCounts"/>).</param>
    public PostgresUsageStore(string connectionString, string tableName = "central_app_usage", ILogger? logger = null, TimeProvider? timeProvider = null,
        IReadOnlyList<FunnelDefinition>? funnels = null)
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
        if (parts.Length > 2 || parts.Any(p => p.Length == 0))
        {
            throw new ArgumentException($"UsageTracking:TableName '{tableName}' is not a PostgreSQL table name; use name or schema.name.");
        }

        _schema = parts.Length == 2 ? parts[0] : "";
        TableName = parts[^1];
        _table = string.Join('.', parts.Select(Quote));
        _rollups = new PostgresRollups(_schema, TableName, new FunnelSteps(funnels));
        _logger = logger ?? NullLogger<PostgresUsageStore>.Instance;
        _sql = new PostgresSqlSource(builder.ConnectionString, tableName, ExpectedColumns);
        SqlSource = new UsageSqlSource(_sql);
    }

    /// <summary>Creates the store the options describe (unset values already filled in from the tracker's settings).</summary>
    /// <param name="options">Where the table is.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock; null for the system clock.</param>
    public PostgresUsageStore(PostgresStoreOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(Required(options).ConnectionString!, options.TableName ?? "central_app_usage", logger, timeProvider, options.Funnels)
    {
    }

    /// <summary>The table name, without schema.</summary>
    public string TableName { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Read-only SQL over the usage table (for the query app).</summary>
    internal IUsageSqlSource SqlSource { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await DropWriteConnectionAsync().ConfigureAwait(false);
            await _dataSource.DisposeAsync().ConfigureAwait(false);
            await _sql.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static PostgresStoreOptions Required(PostgresStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.ConnectionString)
            ? throw new ArgumentException("UsageTracking:Store is 'postgres' but no connection string is set: set UsageTracking:ConnectionString, UsageTracking:Postgres:ConnectionString or DATABASE_URL.")
            : options;
    }

    private async Task<NpgsqlConnection> WriteConnectionAsync(CancellationToken cancellationToken)
    {
        if (_writeConnection is { State: ConnectionState.Open })
        {
            return _writeConnection;
        }

        await DropWriteConnectionAsync().ConfigureAwait(false);
        _writeConnection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (_shape is not null)
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

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, UsageQuery query, PgShape shape)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(TimestampParameter(query.Since, shape.TimestampTz));
        command.Parameters.Add(TimestampParameter(query.Until, shape.TimestampTz));
        if (query.AppName is not null)
        {
            command.Parameters.AddWithValue(query.AppName);
        }

        if (query.User is not null)
        {
            command.Parameters.AddWithValue(query.User);
        }

        if (query.Actions is { } actions)
        {
            command.Parameters.AddWithValue(actions.ToArray());
        }

        return command;
    }

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

        if (query.Actions is not null)
        {
            where += $" AND action = ANY(${3 + (query.AppName is null ? 0 : 1) + (query.User is null ? 0 : 1)})";
        }

        return where;
    }

    private static NpgsqlParameter TimestampParameter(DateTimeOffset value, bool withTimeZone)
    {
        var clamped = value < DateTimeOffset.UnixEpoch.AddYears(-1000) ? DateTimeOffset.UnixEpoch.AddYears(-1000) : value;
        return withTimeZone
            ? new NpgsqlParameter { Value = clamped.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz }
            : new NpgsqlParameter { Value = DateTime.SpecifyKind(clamped.UtcDateTime, DateTimeKind.Unspecified), NpgsqlDbType = NpgsqlDbType.Timestamp };
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

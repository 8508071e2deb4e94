using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UsageTracking.Analytics;
using UsageTracking.Sql;

namespace UsageTracking.Sqlite;

/// <summary>
/// The usage table in an embedded SQLite file: WAL mode, one transaction and one prepared statement per batch,
/// <c>INSERT … ON CONFLICT (event_id) DO NOTHING</c> on a unique <c>event_id</c>, and two indexes. Timestamps are UTC text
/// <c>YYYY-MM-DD HH:MM:SS.fff</c>, which sorts in time order and works with SQLite's date functions. Rollup tables beside it
/// (<c>&lt;table&gt;_hourly</c>, <c>_user_daily</c>, <c>_session_daily</c>, <c>_funnel_daily</c>, <c>_duration_hourly</c>)
/// are kept in the same transactions, so dashboards over millions of events read only thousands of rows.
/// The parts: schema (<c>.Schema.cs</c>), writes (<c>.Write.cs</c>), reads (<c>.Read.cs</c>), aggregates (<c>.Aggregates.cs</c>),
/// retention and erasure (<c>.Retention.cs</c>).
/// </summary>
public sealed partial class SqliteUsageStore : IUsageStore, IUsageReader, IUsageAggregates, IUsageRetention, IUsageRollups, IUsageFunnelCounts
{
    internal const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff";

    private readonly string _connectionString;
    private readonly string? _directory;
    private readonly string _table;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqliteRollups _rollups;
    private SqliteConnection? _writeConnection;
    private SqliteBatchInsert? _insert;
    private TableShape? _shape;
    private int _behindReported;
    private int _disposed;

    /// <summary>Opens (lazily) the usage table in a SQLite file.</summary>
    /// <param name="pathOrConnectionString">A file path, or a <c>Data Source=…</c> connection string.</param>
    /// <param name="tableName">The table: a name, or <c>main.name</c>.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock; the system clock by default.</param>
    /// <param name="funnels">The configured funnels whose steps the rollups count as rows are written (<see cref="IUsageFunnelCounts"/>).</param>
    public SqliteUsageStore(string pathOrConnectionString, string tableName = "central_app_usage", ILogger? logger = null, TimeProvider? timeProvider = null,
        IReadOnlyList<FunnelDefinition>? funnels = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrConnectionString);
        _time = timeProvider ?? TimeProvider.System;
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
        _rollups = new SqliteRollups(TableName, new FunnelSteps(funnels));
        _logger = logger ?? NullLogger<SqliteUsageStore>.Instance;
        SqlSource = new UsageSqlSource(new SqliteSqlSource(DatabasePath, TableName, ExpectedColumns));
    }

    /// <summary>Opens the usage table the options describe (unset values already filled in from the tracker's settings).</summary>
    /// <param name="options">Where the table is.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock; the system clock by default.</param>
    public SqliteUsageStore(SqliteStoreOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(Required(options).ConnectionString!, options.TableName ?? "central_app_usage", logger, timeProvider, options.Funnels)
    {
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The table name.</summary>
    public string TableName { get; }

    /// <inheritdoc />
    public string Description => $"SQLite file {DatabasePath} (table {TableName})";

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

    private static SqliteStoreOptions Required(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.ConnectionString)
            ? throw new ArgumentException("The SQLite store needs a file: set UsageTracking:ConnectionString or UsageTracking:DataDirectory.")
            : options;
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

    private void ResetInsert()
    {
        _insert?.Dispose();
        _insert = null;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

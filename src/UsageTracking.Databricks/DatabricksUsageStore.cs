using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UsageTracking.Analytics;
using UsageTracking.Sql;

namespace UsageTracking.Databricks;

/// <summary>
/// The usage table in a Databricks Delta table, through the SQL Statement Execution API.
/// <para>
/// A batch is one statement whose rows travel in <b>one</b> JSON parameter, expanded in SQL with
/// <c>inline(from_json(:batch, …))</c>. Binding each value as its own parameter would hit the ~256-parameter limit
/// at 19 rows of 13 columns; one parameter carries thousands of rows in a single statement (and a single Delta commit),
/// and no user text is ever spliced into SQL. With the extended schema the statement is an insert-only <c>MERGE</c> on
/// <c>event_id</c>, safe to repeat; on the seed's 4-column table it is a plain <c>INSERT</c>, which the Databricks
/// client repeats only on 429/503 (a dropped connection may have committed it).
/// </para>
/// Every statement is labelled with its operation — a leading <c>-- usage_tracking:&lt;operation&gt;</c> comment and the query
/// tags <c>client</c>, <c>operation</c> and <c>app</c> (the tracker's <see cref="UsageTrackingOptions.AppName"/>, never a user) —
/// so the warehouse's query history says what each statement was for. The parts: schema (<c>.Schema.cs</c>), writes (<c>.Write.cs</c>), reads (<c>.Read.cs</c>), retention (<c>.Retention.cs</c>).
/// </summary>
public sealed partial class DatabricksUsageStore : IUsageStore, IUsageReader, IUsageAggregates, IUsageRetention, IUsageFunnelCounts
{
    private readonly StatementClient _client;
    private readonly DatabricksSqlSource _sql;
    private readonly string _table;
    private readonly ILogger _logger;
    private StoreSchemaMode? _mode;
    private volatile HashSet<string>? _columns;

    /// <summary>Creates the store; nothing is sent until the first call.</summary>
    /// <param name="settings">Workspace, warehouse and credentials.</param>
    /// <param name="tableName">1 to 3 parts: <c>table</c>, <c>schema.table</c> or <c>catalog.schema.table</c>.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock; null for the system clock.</param>
    public DatabricksUsageStore(DatabricksSettings settings, string tableName = "central_app_usage", ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(settings, tableName, logger, timeProvider, handler: null)
    {
    }

    /// <summary>Creates the store the options describe (unset values already filled in).</summary>
    /// <param name="options">Workspace and table.</param>
    /// <param name="logger">For schema messages; null for none.</param>
    /// <param name="timeProvider">The clock; null for the system clock.</param>
    public DatabricksUsageStore(DatabricksStoreOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(Required(options).Settings!, options.TableName ?? "central_app_usage", logger, timeProvider, handler: null, options.AppName)
    {
    }

    internal DatabricksUsageStore(DatabricksSettings settings, string tableName, ILogger? logger, TimeProvider? timeProvider, HttpMessageHandler? handler, string? app = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        TableName = tableName;
        _table = DatabricksSqlSource.QuoteName(tableName);
        _client = new StatementClient(settings, timeProvider ?? TimeProvider.System, handler, app);
        _logger = logger ?? NullLogger<DatabricksUsageStore>.Instance;
        Description = $"Databricks table {tableName} ({settings})";
        _sql = new DatabricksSqlSource(settings, tableName, timeProvider, handler, app);
        SqlSource = new UsageSqlSource(_sql);
    }

    /// <summary>The table, as configured.</summary>
    public string TableName { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Statements sent since start.</summary>
    public long StatementsSent => _client.StatementsSent;

    /// <summary>Read-only SQL over the usage table (for the query app).</summary>
    internal IUsageSqlSource SqlSource { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _sql.Dispose();
        return ValueTask.CompletedTask;
    }

    private static DatabricksStoreOptions Required(DatabricksStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Settings is null ? throw new ArgumentException("The Databricks store needs its workspace settings (DATABRICKS_* or UsageTracking:Databricks).") : options;
    }

    /// <summary>Runs a statement of the tests' own (creating and dropping scratch tables in the live suite).</summary>
    internal Task ExecuteForTestsAsync(string sql, CancellationToken cancellationToken = default) => RunAsync("test", sql, [], cancellationToken);

    private async Task<StatementResult> RunAsync(string operation, string sql, IReadOnlyList<StatementParameter> parameters, CancellationToken cancellationToken,
        long? byteLimit = null)
    {
        try
        {
            return await _client.ExecuteAsync(operation, sql, parameters, cancellationToken, byteLimit).ConfigureAwait(false);
        }
        catch (DatabricksException ex) when (ex.ErrorCode is "PERMISSION_DENIED" or "UNAUTHENTICATED" or "NOT_FOUND" || ex.HttpStatus is 401 or 403 or 404
            || ex.SqlState?.StartsWith("42", StringComparison.Ordinal) == true)
        {
            throw new DatabricksException(ex.ErrorCode, $"Databricks refused {operation} on table {TableName} ({_client.Where}): {ex.Message}", ex.SqlState, ex.IsTransient, ex.HttpStatus);
        }
    }

    private static (string Where, List<StatementParameter> Parameters) Where(UsageQuery query)
    {
        var parameters = new List<StatementParameter> { TimestampParameter("since", query.Since), TimestampParameter("until", query.Until) };
        var where = "timestamp >= :since AND timestamp < :until";
        if (query.AppName is not null)
        {
            where += " AND app_name = :app";
            parameters.Add(new StatementParameter("app", query.AppName));
        }

        if (query.User is not null)
        {
            where += " AND user = :user";
            parameters.Add(new StatementParameter("user", query.User));
        }

        if (query.Actions is { } actions)
        {
            where += actions.Count == 0 ? " AND false" : $" AND action IN ({string.Join(", ", actions.Select((_, i) => $":action{i}"))})";
            parameters.AddRange(actions.Select((action, i) => new StatementParameter($"action{i}", action)));
        }

        return (where, parameters);
    }

    private static StatementParameter TimestampParameter(string name, DateTimeOffset value)
    {
        var clamped = value.Year < 1900 ? new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero) : value;
        return new StatementParameter(name, clamped.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), "TIMESTAMP");
    }

    private static long Long(StatementResult result, string?[] row, string column) => result.Value(row, column) is long n ? n : 0;
}

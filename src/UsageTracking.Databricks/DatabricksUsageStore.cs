using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
/// Every statement starts with a <c>-- usage_tracking:&lt;operation&gt;</c> comment, which labels it in the warehouse's query history.
/// </summary>
public sealed class DatabricksUsageStore : IUsageStore
{
    private const string BatchType =
        "ARRAY<STRUCT<event_id: STRING, ts: STRING, app_name: STRING, user: STRING, action: STRING, session_id: STRING, detail: STRING, " +
        "duration_ms: DOUBLE, model: STRING, input_tokens: BIGINT, output_tokens: BIGINT, cost_usd: DECIMAL(18,6), properties: STRING>>";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private readonly StatementClient _client;
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

    internal DatabricksUsageStore(DatabricksSettings settings, string tableName, ILogger? logger, TimeProvider? timeProvider, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var parts = tableName.Split('.');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Length == 0 || p.Contains('`', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"UsageTracking:TableName '{tableName}' is not a Databricks table name (table, schema.table or catalog.schema.table).");
        }

        TableName = tableName;
        _table = string.Join('.', parts.Select(p => $"`{p}`"));
        _client = new StatementClient(settings, timeProvider ?? TimeProvider.System, handler);
        _logger = logger ?? NullLogger<DatabricksUsageStore>.Instance;
        Description = $"Databricks table {tableName} ({settings})";
    }

    /// <summary>The table, as configured.</summary>
    public string TableName { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Statements sent since start.</summary>
    public long StatementsSent => _client.StatementsSent;

    /// <inheritdoc />
    public async Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken)
    {
        _columns = null;
        var columns = await DescribeAsync(cancellationToken).ConfigureAwait(false);
        StoreSchemaMode mode;
        if (columns is null)
        {
            if (!allowUpgrade)
            {
                throw new UsageStoreException($"The table {TableName} does not exist in {_client.Where} and UsageTracking:AllowSchemaUpgrade is false.");
            }

            await RunAsync("create_table", $"""
                CREATE TABLE IF NOT EXISTS {_table} (
                  timestamp TIMESTAMP, app_name STRING, user STRING, action STRING,
                  event_id STRING, session_id STRING, detail STRING, duration_ms DOUBLE, model STRING,
                  input_tokens BIGINT, output_tokens BIGINT, cost_usd DECIMAL(18,6), properties STRING)
                USING DELTA CLUSTER BY (timestamp)
                """, [], cancellationToken).ConfigureAwait(false);
            mode = StoreSchemaMode.Extended;
        }
        else if (columns.Contains("event_id"))
        {
            mode = StoreSchemaMode.Extended;
        }
        else if (!allowUpgrade)
        {
            mode = StoreSchemaMode.Compat;
        }
        else
        {
            await RunAsync("add_columns", $"""
                ALTER TABLE {_table} ADD COLUMNS (event_id STRING, session_id STRING, detail STRING, duration_ms DOUBLE, model STRING,
                  input_tokens BIGINT, output_tokens BIGINT, cost_usd DECIMAL(18,6), properties STRING)
                """, [], cancellationToken).ConfigureAwait(false);
            mode = StoreSchemaMode.Extended;
        }

        _mode = mode;
        _columns = null;
        _logger.LogInformation("Databricks table {Table} ({Where}) has the {Mode} schema.", TableName, _client.Where, mode);
        return mode;
    }

    /// <inheritdoc />
    public async Task WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var mode = _mode ?? await EnsureSchemaAsync(allowUpgrade: true, cancellationToken).ConfigureAwait(false);
        var rows = new JsonArray();
        foreach (var e in batch)
        {
            rows.Add(new JsonObject
            {
                ["event_id"] = e.EventId,
                ["ts"] = e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["app_name"] = e.AppName,
                ["user"] = e.User,
                ["action"] = mode == StoreSchemaMode.Compat ? e.CompatAction : e.Action,
                ["session_id"] = e.SessionId,
                ["detail"] = e.Detail,
                ["duration_ms"] = e.DurationMs,
                ["model"] = e.Model,
                ["input_tokens"] = e.InputTokens,
                ["output_tokens"] = e.OutputTokens,
                ["cost_usd"] = e.CostUsd,
                ["properties"] = e.PropertiesJson,
            });
        }

        var parameter = new StatementParameter("batch", rows.ToJsonString(Json));
        const string Source = $"SELECT * FROM (SELECT inline(from_json(:batch, '{BatchType}')))";
        if (mode == StoreSchemaMode.Compat)
        {
            try
            {
                await RunAsync("insert_batch", $"""
                    INSERT INTO {_table} (timestamp, app_name, user, action)
                    SELECT to_timestamp(ts), app_name, user, action FROM ({Source})
                    """, [parameter], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException sent && !ProvablyNotSent(sent) || ex is TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A plain INSERT has no key to deduplicate on: if it may have committed, it must not be repeated now.
                throw new DatabricksException("UNCERTAIN", $"The connection to {_client.Where} dropped during an INSERT into {TableName}; it may have committed.",
                    null, transient: false) { IsUncertain = true };
            }

            return;
        }

        await RunAsync("merge_batch", $"""
            MERGE INTO {_table} AS t
            USING (SELECT * FROM ({Source}) QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1) AS s
            ON t.event_id = s.event_id
            WHEN NOT MATCHED THEN INSERT (timestamp, app_name, user, action, event_id, session_id, detail, duration_ms, model, input_tokens, output_tokens, cost_usd, properties)
            VALUES (to_timestamp(s.ts), s.app_name, s.user, s.action, s.event_id, s.session_id, s.detail, s.duration_ms, s.model, s.input_tokens, s.output_tokens, s.cost_usd, s.properties)
            """, [parameter], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (await DescribeAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            return new UsageStats(query.Since, query.Until, query.AppName, query.User, 0, 0, 0, [], []);
        }

        var (where, parameters) = Where(query);
        var totals = await RunAsync("stats_totals",
            $"SELECT COUNT(*) AS events, COUNT(DISTINCT user) AS users, COUNT_IF(action LIKE '%\\\\_error%') AS errors FROM {_table} WHERE {where}",
            parameters, cancellationToken).ConfigureAwait(false);
        var byAction = await RunAsync("stats_by_action",
            $"SELECT action, COUNT(*) AS n FROM {_table} WHERE {where} GROUP BY action ORDER BY n DESC, action",
            parameters, cancellationToken).ConfigureAwait(false);
        var byDay = await RunAsync("stats_by_day",
            $"SELECT date(timestamp) AS day, COUNT(*) AS n, COUNT(DISTINCT user) AS users FROM {_table} WHERE {where} GROUP BY day ORDER BY day",
            parameters, cancellationToken).ConfigureAwait(false);

        var total = totals.Rows.FirstOrDefault() ?? [];
        return new UsageStats(query.Since, query.Until, query.AppName, query.User,
            Long(totals, total, "events"), Long(totals, total, "users"), Long(totals, total, "errors"),
            byAction.Rows.Select(r => new ActionCount(byAction.Value(r, "action") as string ?? "", Long(byAction, r, "n"))).ToList(),
            byDay.Rows.Where(r => byDay.Value(r, "day") is DateOnly).Select(r => new DayCount((DateOnly)byDay.Value(r, "day")!, Long(byDay, r, "n"), Long(byDay, r, "users"))).ToList());
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var columns = await DescribeAsync(cancellationToken).ConfigureAwait(false);
        if (columns is null)
        {
            yield break;
        }

        var extended = columns.Contains("event_id");
        var (where, parameters) = Where(query);
        var select = extended
            ? "timestamp, app_name, user, action, event_id, session_id, detail, duration_ms, model, input_tokens, output_tokens, cost_usd, properties"
            : "timestamp, app_name, user, action";
        var result = await RunAsync("read_events", $"SELECT {select} FROM {_table} WHERE {where} ORDER BY timestamp", parameters, cancellationToken).ConfigureAwait(false);
        foreach (var r in result.Rows)
        {
            string? Text(string column) => result.Value(r, column)?.ToString();
            yield return new UsageEvent
            {
                Timestamp = result.Value(r, "timestamp") is DateTimeOffset t ? t : default,
                AppName = Text("app_name"),
                User = Text("user"),
                Action = Text("action") ?? "",
                EventId = Text("event_id"),
                SessionId = Text("session_id"),
                Detail = Text("detail"),
                DurationMs = result.Value(r, "duration_ms") is double d ? d : null,
                Model = Text("model"),
                InputTokens = result.Value(r, "input_tokens") is long i ? i : null,
                OutputTokens = result.Value(r, "output_tokens") is long o ? o : null,
                CostUsd = result.Value(r, "cost_usd") is decimal c ? c : null,
                PropertiesJson = Text("properties"),
            };
        }
    }

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        if (await DescribeAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            return 0;
        }

        var result = await RunAsync("delete_older", $"DELETE FROM {_table} WHERE timestamp < :cutoff", [TimestampParameter("cutoff", cutoff)], cancellationToken).ConfigureAwait(false);
        return Affected(result);
    }

    /// <inheritdoc />
    public async Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        if (users.Count == 0 || await DescribeAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            return 0;
        }

        var result = await RunAsync("delete_users", $"DELETE FROM {_table} WHERE array_contains(from_json(:users, 'ARRAY<STRING>'), user)",
            [new StatementParameter("users", JsonSerializer.Serialize(users))], cancellationToken).ConfigureAwait(false);
        return Affected(result);
    }

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception exception) => exception switch
    {
        DatabricksException { IsUncertain: true } => StoreErrorKind.Uncertain,
        // SQLSTATE class 22 is a data exception: something in this batch, not the table or the warehouse.
        DatabricksException { SqlState: { } state } when state.StartsWith("22", StringComparison.Ordinal) => StoreErrorKind.Rejected,
        _ => StoreErrorKind.Transient,
    };

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The table's column names, or null when it does not exist. Learnt with DESCRIBE TABLE and kept once the table is
    /// seen (every statement costs a warehouse round trip); <see cref="EnsureSchemaAsync"/> learns them afresh.
    /// </summary>
    private async Task<HashSet<string>?> DescribeAsync(CancellationToken cancellationToken)
    {
        if (_columns is { } known)
        {
            return known;
        }

        try
        {
            var result = await RunAsync("describe", $"DESCRIBE TABLE {_table}", [], cancellationToken).ConfigureAwait(false);
            return _columns = result.Rows.Select(r => r[0]).TakeWhile(name => !string.IsNullOrEmpty(name) && !name.StartsWith('#'))
                .Select(name => name!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        }
        catch (DatabricksException ex) when (ex.ErrorCode is "TABLE_OR_VIEW_NOT_FOUND" || ex.Message.Contains("TABLE_OR_VIEW_NOT_FOUND", StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>Runs a statement of the tests' own (creating and dropping scratch tables in the live suite).</summary>
    internal Task ExecuteForTestsAsync(string sql) => RunAsync("test", sql, [], default);

    private async Task<StatementResult> RunAsync(string operation, string sql, IReadOnlyList<StatementParameter> parameters, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.ExecuteAsync($"-- usage_tracking:{operation}\n{sql}", parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (DatabricksException ex) when (ex.ErrorCode is "PERMISSION_DENIED" or "UNAUTHENTICATED" or "NOT_FOUND" || ex.HttpStatus is 401 or 403 or 404)
        {
            throw new DatabricksException(ex.ErrorCode, $"Databricks refused {operation} on table {TableName} ({_client.Where}): {ex.Message}", ex.SqlState, ex.IsTransient, ex.HttpStatus);
        }
    }

    /// <summary>Refused or unreachable before a byte went out: the statement cannot have run.</summary>
    private static bool ProvablyNotSent(HttpRequestException ex) =>
        ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NetworkUnreachable };

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

        return (where, parameters);
    }

    private static StatementParameter TimestampParameter(string name, DateTimeOffset value)
    {
        var clamped = value.Year < 1900 ? new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero) : value;
        return new StatementParameter(name, clamped.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), "TIMESTAMP");
    }

    private static long Long(StatementResult result, string?[] row, string column) => result.Value(row, column) is long n ? n : 0;

    /// <summary>DML answers with a row of counts; <c>num_affected_rows</c> is the one that matters.</summary>
    private static long Affected(StatementResult result) =>
        result.Rows.FirstOrDefault() is { } row ? Long(result, row, "num_affected_rows") : 0;
}

using UsageTracking.Sql;

namespace UsageTracking.Databricks;

/// <summary>
/// A table in a Databricks SQL warehouse, queried through the Statement Execution API. There is no read-only session
/// setting on a warehouse: the principal's grants are the second lock, so give it SELECT only. A query past its timeout is
/// cancelled on the warehouse.
/// </summary>
public sealed class DatabricksSqlSource : IReadOnlySqlSource, IDisposable
{
    private readonly StatementClient _client;
    private readonly string _quoted;
    private IReadOnlyList<SqlColumn>? _columns;

    /// <summary>A table in a warehouse (a three-part name is fine).</summary>
    /// <param name="settings">Workspace, warehouse and credentials.</param>
    /// <param name="table">The table.</param>
    public DatabricksSqlSource(DatabricksSettings settings, string table)
        : this(settings, table, null, null)
    {
    }

    /// <summary>Queries <paramref name="table"/> on the configured warehouse, its statements tagged with <paramref name="app"/>.</summary>
    /// <param name="settings">Workspace, warehouse and credentials.</param>
    /// <param name="table">1 to 3 parts: <c>table</c>, <c>schema.table</c> or <c>catalog.schema.table</c>.</param>
    /// <param name="app">The application, as the statements' <c>app</c> query tag.</param>
    public DatabricksSqlSource(DatabricksSettings settings, string table, string? app)
        : this(settings, table, null, null, app)
    {
    }

    internal DatabricksSqlSource(DatabricksSettings settings, string table, TimeProvider? time, HttpMessageHandler? handler, string? app = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        TableName = table;
        _quoted = QuoteName(table);
        _client = new StatementClient(settings, time ?? TimeProvider.System, handler, app);
    }

    /// <summary>Under the 25 MiB an INLINE result may hold (beyond it the warehouse aborts the statement): a larger result is cut and flagged.</summary>
    internal const long InlineByteLimit = 24L << 20;

    /// <inheritdoc />
    public SqlDialect Dialect => SqlDialect.Databricks;

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
            var result = await _client.ExecuteAsync("describe", $"DESCRIBE TABLE {_quoted}", [], cancellationToken).ConfigureAwait(false);
            return _columns = result.Rows
                .TakeWhile(r => !string.IsNullOrEmpty(r[0]) && !r[0]!.StartsWith('#'))
                .Select(r => new SqlColumn(r[0]!, r.Length > 1 ? r[1] ?? "" : ""))
                .ToList();
        }
        catch (DatabricksException ex)
        {
            throw new SqlQueryException($"The Databricks table {TableName} could not be described: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async Task<IRowReader> OpenAsync(string sql, SqlLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var timeout = limits.Timeout;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            // The label shows in the warehouse's query history which statements the query app ran.
            var result = await _client.ExecuteAsync("query", sql, [], timer.Token, byteLimit: InlineByteLimit).ConfigureAwait(false);
            if (result.Rows.Any(row => row.Any(value => value is { Length: var length } && length > limits.MaxValueBytes)))
            {
                throw new SqlQueryException(limits.ValueTooLarge);
            }

            return new Reader(result);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SqlQueryException($"The query ran longer than {timeout.TotalSeconds:0.#} s and was cancelled on the warehouse.", ex);
        }
        catch (DatabricksException ex)
        {
            throw new SqlQueryException(Sentence(ex.Message), ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The warehouse plans the query (<c>EXPLAIN</c>, which does not run it). Spark answers a query it cannot analyse with a
    /// plan that reads "Error occurred during query planning:" followed by the error, rather than failing the statement.
    /// </remarks>
    public async Task CheckAsync(string sql, SqlLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(limits.Timeout);
        StatementResult result;
        try
        {
            result = await _client.ExecuteAsync("check", $"EXPLAIN {sql}", [], timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SqlQueryException($"The warehouse did not plan the query within {limits.Timeout.TotalSeconds:0.#} s.", ex);
        }
        catch (DatabricksException ex)
        {
            throw new SqlQueryException(Sentence(ex.Message), ex);
        }

        var plan = result.Rows.FirstOrDefault()?.FirstOrDefault() ?? "";
        const string PlanningError = "Error occurred during query planning:";
        if (plan.StartsWith(PlanningError, StringComparison.Ordinal))
        {
            throw new SqlQueryException(Sentence(plan[PlanningError.Length..]));
        }
    }

    // Warehouse errors run to several lines (the error class, then the SQL with a caret): the user gets the first.
    private static string Sentence(string message)
    {
        var first = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "the query failed";
        if (first.Length > 300)
        {
            first = first[..300] + "…";
        }

        return $"Databricks says: {first.TrimEnd('.', ':', ' ')}.";
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    /// <summary>Backtick-quotes each part of a one- to three-part name; throws <see cref="ArgumentException"/> for a name that is not one.</summary>
    internal static string QuoteName(string name)
    {
        var parts = name.Split('.');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Trim('`').Length == 0 || p.Trim('`').Contains('`', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"UsageTracking:TableName '{name}' is not a Databricks table name (table, schema.table or catalog.schema.table).");
        }

        return string.Join('.', parts.Select(part => $"`{part.Trim('`')}`"));
    }

    private sealed class Reader(StatementResult result) : IRowReader
    {
        private int _index = -1;

        public IReadOnlyList<string> Names { get; } = result.Columns.Select(c => c.Name).ToArray();

        public object?[] Current { get; } = new object?[result.Columns.Count];

        public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
        {
            if (++_index >= result.Rows.Count)
            {
                // The rows so far are not the whole answer: a download must fail rather than look complete.
                return result.Truncated
                    ? throw new SqlQueryException($"The warehouse returns at most {InlineByteLimit / (1024 * 1024)} MiB per query and this result is larger; select fewer rows or columns.")
                    : ValueTask.FromResult(false);
            }

            var row = result.Rows[_index];
            for (var i = 0; i < Current.Length; i++)
            {
                Current[i] = result.ValueAt(row, i);
            }

            return ValueTask.FromResult(true);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

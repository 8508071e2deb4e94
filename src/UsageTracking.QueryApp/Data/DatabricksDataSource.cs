using UsageTracking.Databricks;
using UsageTracking.QueryApp.Sql;

namespace UsageTracking.QueryApp.Data;

/// <summary>
/// A table in a Databricks SQL warehouse, queried through the same Statement Execution client as the Databricks
/// store. The warehouse's own permissions are the second lock: give the app's principal SELECT only.
/// </summary>
public sealed class DatabricksDataSource : IDataSource, IDisposable
{
    private readonly StatementClient _client;
    private readonly string _table;
    private TableSchema? _schema;

    /// <summary>Creates the source for <paramref name="table"/> (a three-part name is fine).</summary>
    public DatabricksDataSource(string id, string title, string domain, DatabricksSettings settings, string table, HttpMessageHandler? handler = null)
    {
        Id = id;
        Title = title;
        Domain = domain;
        _table = table;
        _client = new StatementClient(settings, TimeProvider.System, handler);
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <inheritdoc />
    public string Title { get; }

    /// <inheritdoc />
    public SqlDialect Dialect => SqlDialect.Databricks;

    /// <inheritdoc />
    public string Domain { get; }

    /// <inheritdoc />
    public async Task<TableSchema> GetSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schema is { } cached)
        {
            return cached;
        }

        try
        {
            var result = await _client.ExecuteAsync($"-- usage_tracking:describe\nDESCRIBE TABLE {QuoteName(_table)}", [], cancellationToken).ConfigureAwait(false);
            var columns = result.Rows
                .TakeWhile(r => !string.IsNullOrEmpty(r[0]) && !r[0]!.StartsWith('#'))
                .Select(r => (r[0]!, r.Length > 1 ? r[1] ?? "" : ""))
                .ToList();
            return _schema = new TableSchema(_table, columns);
        }
        catch (DatabricksException ex)
        {
            throw new QueryFailedException($"The Databricks table {_table} could not be described: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async Task<IQueryReader> OpenAsync(string sql, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            // The label shows in the warehouse's query history which statements the query app ran.
            var result = await _client.ExecuteAsync($"-- usage_tracking:query\n{sql}", [], timer.Token).ConfigureAwait(false);
            return new Reader(result);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new QueryFailedException($"The query ran longer than {timeout.TotalSeconds:0.#} s and was cancelled on the warehouse.", ex);
        }
        catch (DatabricksException ex)
        {
            throw new QueryFailedException($"Databricks says: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    internal static string QuoteName(string name) =>
        string.Join('.', name.Split('.').Select(part => $"`{part.Trim('`').Replace("`", "``", StringComparison.Ordinal)}`"));

    private sealed class Reader(StatementResult result) : IQueryReader
    {
        private int _index = -1;

        public IReadOnlyList<string> Names { get; } = result.Columns.Select(c => c.Name).ToArray();

        public object?[] Current { get; } = new object?[result.Columns.Count];

        public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
        {
            if (++_index >= result.Rows.Count)
            {
                return ValueTask.FromResult(false);
            }

            var row = result.Rows[_index];
            for (var i = 0; i < Current.Length; i++)
            {
                Current[i] = result.Value(row, result.Columns[i].Name);
            }

            return ValueTask.FromResult(true);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

using System.Runtime.CompilerServices;

namespace UsageTracking.Databricks;

public sealed partial class DatabricksUsageStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var columns = await DescribeAsync(cancellationToken).ConfigureAwait(false);
        if (columns is null)
        {
            yield break;
        }

        var (where, parameters) = Where(query);
        var select = string.Join(", ", UsageColumns.All.Where(c => columns.Contains(c.Name)).Select(c => c.Name));
        var result = await RunAsync("read_events", $"SELECT {select} FROM {_table} WHERE {where} ORDER BY timestamp", parameters, cancellationToken).ConfigureAwait(false);
        foreach (var r in result.Rows)
        {
            string? Text(string column) => result.Value(r, column)?.ToString();
            var action = Text("action") ?? "";
            yield return new UsageEvent
            {
                Timestamp = result.Value(r, "timestamp") is DateTimeOffset t ? t : default,
                AppName = Text("app_name"),
                User = Text("user"),
                Action = action,
                EventId = Text("event_id"),
                SessionId = Text("session_id"),
                Detail = Text("detail"),
                DurationMs = result.Value(r, "duration_ms") is double d ? d : null,
                Model = Text("model"),
                InputTokens = result.Value(r, "input_tokens") is long i ? i : null,
                OutputTokens = result.Value(r, "output_tokens") is long o ? o : null,
                CostUsd = result.Value(r, "cost_usd") is decimal c ? c : null,
                PropertiesJson = Text("properties"),
                IsError = UsageErrors.IsError(result.Value(r, "is_error") as bool?, action),
            };
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageEvent>> GetLatestAsync(string? appName, int count, CancellationToken cancellationToken)
    {
        var columns = await DescribeAsync(cancellationToken).ConfigureAwait(false);
        if (columns is null)
        {
            return [];
        }

        var parameters = new List<StatementParameter>();
        if (appName is not null)
        {
            parameters.Add(new StatementParameter("app", appName));
        }

        var result = await RunAsync("read_latest",
            $"SELECT timestamp, app_name, user, action{(columns.Contains("duration_ms") ? ", duration_ms" : "")} FROM {_table}"
            + (appName is null ? "" : " WHERE app_name = :app") + $" ORDER BY timestamp DESC LIMIT {Math.Max(0, count)}", parameters, cancellationToken).ConfigureAwait(false);
        return result.Rows.Select(r => new UsageEvent
        {
            Timestamp = result.Value(r, "timestamp") is DateTimeOffset t ? t : default,
            AppName = result.Value(r, "app_name") as string ?? "",
            User = result.Value(r, "user") as string ?? "",
            Action = result.Value(r, "action") as string ?? "",
            DurationMs = result.Value(r, "duration_ms") as double?,
        }).ToList();
    }

    /// <inheritdoc />
    public async Task<TableExtent> GetExtentAsync(string? appName, CancellationToken cancellationToken)
    {
        if (await DescribeAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            return new TableExtent(0, null, null);
        }

        var parameters = appName is null ? new List<StatementParameter>() : [new StatementParameter("app", appName)];
        var result = await RunAsync("read_extent",
            $"SELECT COUNT(*) AS rows, MIN(timestamp) AS oldest, MAX(timestamp) AS newest FROM {_table}" + (appName is null ? "" : " WHERE app_name = :app"),
            parameters, cancellationToken).ConfigureAwait(false);
        var row = result.Rows.FirstOrDefault() ?? [];
        return new TableExtent(Long(result, row, "rows"), result.Value(row, "oldest") as DateTimeOffset?, result.Value(row, "newest") as DateTimeOffset?);
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;

namespace UsageTracking.Databricks;

public sealed partial class DatabricksUsageStore
{
    /// <summary>Rows per page when reading events.</summary>
    internal const int ReadPageRows = 20_000;

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
        if (!columns.Contains("event_id"))
        {
            // The seed's 4-column table has no key to page by: one statement, and a range too large for it is an error,
            // never a silently shorter answer.
            var whole = await RunAsync("read_events", $"SELECT {select} FROM {_table} WHERE {where} ORDER BY timestamp", parameters, cancellationToken,
                DatabricksSqlSource.InlineByteLimit).ConfigureAwait(false);
            if (whole.Truncated)
            {
                throw new DatabricksException("RESULT_TOO_LARGE",
                    $"The events of this range in {TableName} are more than one read returns; read a shorter range, or upgrade the table (sql/databricks/002_upgrade_seed_table.sql) to read any size.",
                    null, transient: false);
            }

            foreach (var e in Events(whole))
            {
                yield return e;
            }

            yield break;
        }

        // Keyset pages in (timestamp, event_id) order: each starts after the last row of the one before, so a page the
        // warehouse cuts at its byte limit simply ends early, and a range of any size streams in bounded memory.
        (DateTimeOffset At, string Id)? after = null;
        while (true)
        {
            var page = new List<StatementParameter>(parameters);
            var keyset = "";
            if (after is { } last)
            {
                keyset = " AND (timestamp > :after_ts OR (timestamp = :after_ts AND coalesce(event_id, '') > :after_id))";
                page.Add(new StatementParameter("after_ts", last.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), "TIMESTAMP"));
                page.Add(new StatementParameter("after_id", last.Id));
            }

            var result = await RunAsync("read_events", $"""
                SELECT {select} FROM {_table} WHERE {where}{keyset}
                ORDER BY timestamp, coalesce(event_id, '') LIMIT {ReadPageRows}
                """, page, cancellationToken, DatabricksSqlSource.InlineByteLimit).ConfigureAwait(false);
            if (result.Rows.Count == 0 && result.Truncated)
            {
                throw new DatabricksException("RESULT_TOO_LARGE", $"One event in {TableName} is larger than a read may return ({DatabricksSqlSource.InlineByteLimit / (1024 * 1024)} MiB).", null, transient: false);
            }

            foreach (var e in Events(result))
            {
                after = (e.Timestamp, e.EventId ?? "");
                yield return e;
            }

            if (result.Rows.Count == 0 || (result.Rows.Count < ReadPageRows && !result.Truncated))
            {
                yield break;
            }
        }
    }

    private static IEnumerable<UsageEvent> Events(StatementResult result)
    {
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

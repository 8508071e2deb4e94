using System.Text.Json;

namespace UsageTracking.Databricks;

public sealed partial class DatabricksUsageStore
{
    /// <inheritdoc />
    public bool CleansUpPeriodically => false;

    /// <inheritdoc />
    public string RetentionAdvice => "schedule sql/databricks/retention.sql as a Databricks job (one for the whole table, each app with its own days), or run `usage cleanup` on a schedule";

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, string? appName, CancellationToken cancellationToken)
    {
        if (await DescribeAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            return 0;
        }

        var parameters = new List<StatementParameter> { TimestampParameter("cutoff", cutoff) };
        if (appName is not null)
        {
            parameters.Add(new StatementParameter("app", appName));
        }

        var result = await RunAsync("delete_older", $"DELETE FROM {_table} WHERE timestamp < :cutoff" + (appName is null ? "" : " AND app_name = :app"),
            parameters, cancellationToken).ConfigureAwait(false);
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

    /// <summary>DML answers with a row of counts; <c>num_affected_rows</c> is the one that matters.</summary>
    private static long Affected(StatementResult result) =>
        result.Rows.FirstOrDefault() is { } row ? Long(result, row, "num_affected_rows") : 0;
}

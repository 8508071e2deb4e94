namespace UsageTracking.Databricks;

public sealed partial class DatabricksUsageStore
{
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
                  {string.Join(", ", UsageColumns.All.Select(ColumnSql))})
                USING DELTA CLUSTER BY (timestamp)
                """, [], cancellationToken).ConfigureAwait(false);
            mode = StoreSchemaMode.Extended;
        }
        else
        {
            // A seed table stays as it is without permission to upgrade; an extended one without is_error keeps being written without it.
            var missing = UsageColumns.Extended.Where(c => !columns.Contains(c.Name)).ToList();
            if (missing.Count > 0 && allowUpgrade)
            {
                await RunAsync("add_columns", $"ALTER TABLE {_table} ADD COLUMNS ({string.Join(", ", missing.Select(ColumnSql))})", [], cancellationToken).ConfigureAwait(false);
                Log.ColumnsAdded(_logger, string.Join(", ", missing.Select(c => c.Name)), TableName, _client.Where);
            }

            mode = columns.Contains("event_id") || allowUpgrade ? StoreSchemaMode.Extended : StoreSchemaMode.Compat;
        }

        _mode = mode;
        _columns = null;
        Log.SchemaReady(_logger, TableName, _client.Where, mode);
        return mode;
    }

    private static string ColumnSql(UsageColumn column) => $"{column.Name} {SqlType(column.Type)}";

    private static string SqlType(UsageColumnType type) => type switch
    {
        UsageColumnType.Timestamp => "TIMESTAMP",
        UsageColumnType.Integer => "BIGINT",
        UsageColumnType.Real => "DOUBLE",
        UsageColumnType.Decimal => "DECIMAL(18,6)",
        UsageColumnType.Boolean => "BOOLEAN",
        _ => "STRING",
    };

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
}

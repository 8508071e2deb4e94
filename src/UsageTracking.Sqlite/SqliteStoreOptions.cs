namespace UsageTracking.Sqlite;

/// <summary>Where the SQLite store keeps the usage table. Unset values come from the <c>UsageTracking</c> settings.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>
    /// A file path or a <c>Data Source=…</c> connection string. Default: <see cref="UsageTrackingOptions.ConnectionString"/>,
    /// else <c>usage.db</c> in <see cref="UsageTrackingOptions.DataDirectory"/>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The table: a name, or <c>main.name</c>. Default: <see cref="UsageTrackingOptions.TableName"/>.</summary>
    public string? TableName { get; set; }

    /// <summary>The funnels whose steps the rollups count as rows are written. Default: <see cref="UsageTrackingOptions.Funnels"/>.</summary>
    public IReadOnlyList<Analytics.FunnelDefinition>? Funnels { get; set; }
}

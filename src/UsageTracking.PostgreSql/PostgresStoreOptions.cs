namespace UsageTracking.PostgreSql;

/// <summary>Where the PostgreSQL store keeps the usage table. Unset values come from the <c>UsageTracking</c> settings.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>
    /// An Npgsql connection string or a <c>postgresql://</c> URI. Default: <see cref="UsageTrackingOptions.ConnectionString"/>,
    /// else <c>UsageTracking:Postgres:ConnectionString</c>, else the environment variable <c>DATABASE_URL</c>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The table: <c>name</c> or <c>schema.name</c>. Default: <see cref="UsageTrackingOptions.TableName"/>.</summary>
    public string? TableName { get; set; }

    /// <summary>The funnels whose steps the rollups count as rows are written. Default: <see cref="UsageTrackingOptions.Funnels"/>.</summary>
    public IReadOnlyList<Analytics.FunnelDefinition>? Funnels { get; set; }
}

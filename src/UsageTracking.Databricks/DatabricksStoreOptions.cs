namespace UsageTracking.Databricks;

/// <summary>Where the Databricks store keeps the usage table. Unset values come from the environment and the <c>UsageTracking</c> settings.</summary>
public sealed class DatabricksStoreOptions
{
    /// <summary>Workspace, warehouse and credentials. Default: <see cref="DatabricksSettings.Read"/> of the <c>UsageTracking</c> section and the environment.</summary>
    public DatabricksSettings? Settings { get; set; }

    /// <summary>1 to 3 parts: <c>table</c>, <c>schema.table</c> or <c>catalog.schema.table</c>. Default: <see cref="UsageTrackingOptions.TableName"/>.</summary>
    public string? TableName { get; set; }

    /// <summary>The application, sent as the <c>app</c> query tag of every statement. Default: <see cref="UsageTrackingOptions.AppName"/>.</summary>
    public string? AppName { get; set; }
}

using Microsoft.Extensions.Logging;
using UsageTracking;
using UsageTracking.Databricks;

[assembly: UsageStoreProvider(typeof(DatabricksStoreProvider))]

namespace UsageTracking.Databricks;

/// <summary>Creates the Databricks store for <c>UsageTracking:Store = databricks</c>.</summary>
public sealed class DatabricksStoreProvider : IUsageStoreProvider
{
    /// <inheritdoc />
    public string Name => "databricks";

    /// <inheritdoc />
    public IUsageStore Create(UsageStoreContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new DatabricksUsageStore(DatabricksSettings.Read(context.Configuration), context.Options.TableName,
            context.LoggerFactory.CreateLogger<DatabricksUsageStore>(), context.TimeProvider);
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UsageTracking.Databricks;
using UsageTracking.Analytics;
using UsageTracking.Sql;

[assembly: UsageTracking.UsageStoreProvider(typeof(DatabricksStoreProvider))]

namespace UsageTracking.Databricks;

/// <summary>Registers the Databricks store and everything it can do.</summary>
public static class DatabricksUsageStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Databricks store as the usage store, with its reader, retention and read-only SQL over the usage table.
    /// <c>UsageTracking:Store = databricks</c> does the same.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The <c>UsageTracking</c> section, for its <c>Databricks</c> settings; null to use the environment only.</param>
    /// <param name="configure">Sets the workspace and table; by default the settings and the environment say.</param>
    public static IServiceCollection AddDatabricksUsageStore(this IServiceCollection services, IConfiguration? section = null, Action<DatabricksStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DatabricksStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IOptions<UsageTrackingOptions>>((o, tracking) =>
        {
            o.Settings ??= DatabricksSettings.Read(section);
            o.TableName ??= tracking.Value.TableName;
        });
        services.TryAddSingleton(sp => new DatabricksUsageStore(sp.GetRequiredService<IOptions<DatabricksStoreOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger<DatabricksUsageStore>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IUsageStore>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageReader>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageAggregates>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageRetention>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageSqlSource>(sp => sp.GetRequiredService<DatabricksUsageStore>().SqlSource);
        services.AddSingleton(new UsageStoreRegistration("databricks"));
        return services;
    }
}

/// <summary>Registers the Databricks store for <c>UsageTracking:Store = databricks</c>.</summary>
public sealed class DatabricksStoreProvider : IUsageStoreProvider
{
    /// <inheritdoc />
    public string Name => "databricks";

    /// <inheritdoc />
    public void AddStore(IServiceCollection services, IConfiguration? configuration) => services.AddDatabricksUsageStore(configuration);
}

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
    /// <summary>The batch size a Databricks store uses when the configuration sets none (the embedded default is 1,000).</summary>
    public const int DefaultBatchSize = 10_000;

    /// <summary>The flush interval a Databricks store uses when the configuration sets none (the embedded default is 1 s).</summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Registers the Databricks store as the usage store, with its reader, aggregates, retention and read-only SQL over the
    /// usage table. <c>UsageTracking:Store = databricks</c> does the same. With a <paramref name="section"/>, a
    /// <c>BatchSize</c> or <c>FlushInterval</c> it does not set becomes <see cref="DefaultBatchSize"/> or <see cref="DefaultFlushInterval"/>.
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
            o.AppName ??= tracking.Value.AppName;
        });
        if (section is not null)
        {
            // Every statement is a Delta commit and keeps the warehouse awake: batches and intervals left unset in the
            // configuration get the warehouse's defaults, not the embedded store's.
            services.PostConfigure<UsageTrackingOptions>(tracking =>
            {
                if (section[nameof(UsageTrackingOptions.BatchSize)] is null)
                {
                    tracking.BatchSize = DefaultBatchSize;
                }

                if (section[nameof(UsageTrackingOptions.FlushInterval)] is null)
                {
                    tracking.FlushInterval = DefaultFlushInterval;
                }
            });
        }
        services.TryAddSingleton(sp => new DatabricksUsageStore(sp.GetRequiredService<IOptions<DatabricksStoreOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger<DatabricksUsageStore>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IUsageStore>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageReader>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageAggregates>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageRetention>(sp => sp.GetRequiredService<DatabricksUsageStore>());
        services.TryAddSingleton<IUsageFunnelCounts>(sp => sp.GetRequiredService<DatabricksUsageStore>());
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

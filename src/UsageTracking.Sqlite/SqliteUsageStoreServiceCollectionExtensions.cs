using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UsageTracking.Analytics;
using UsageTracking.Sql;
using UsageTracking.Sqlite;

[assembly: UsageTracking.UsageStoreProvider(typeof(SqliteStoreProvider))]

namespace UsageTracking.Sqlite;

/// <summary>Registers the SQLite store and everything it can do.</summary>
public static class SqliteUsageStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SQLite store as the usage store, with its reader, its rollups (aggregates), retention, rollup
    /// maintenance and read-only SQL over the usage table. <c>UsageTracking:Store = sqlite</c> (the default) does the same.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets where the table is; by default the <c>UsageTracking</c> settings say.</param>
    public static IServiceCollection AddSqliteUsageStore(this IServiceCollection services, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SqliteStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IOptions<UsageTrackingOptions>>((o, tracking) =>
        {
            var settings = tracking.Value;
            o.ConnectionString ??= string.IsNullOrWhiteSpace(settings.ConnectionString) ? Path.Combine(settings.DataDirectory, "usage.db") : settings.ConnectionString;
            o.TableName ??= settings.TableName;
            o.Funnels ??= settings.Funnels;
        });
        services.TryAddSingleton(sp => new SqliteUsageStore(sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger<SqliteUsageStore>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IUsageStore>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.TryAddSingleton<IUsageReader>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.TryAddSingleton<IUsageAggregates>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.TryAddSingleton<IUsageRetention>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.TryAddSingleton<IUsageRollups>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.TryAddSingleton<IUsageFunnelCounts>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.TryAddSingleton<IUsageSqlSource>(sp => sp.GetRequiredService<SqliteUsageStore>().SqlSource);
        services.AddSingleton(new UsageStoreRegistration("sqlite"));
        return services;
    }
}

/// <summary>Registers the SQLite store for <c>UsageTracking:Store = sqlite</c>, the default.</summary>
public sealed class SqliteStoreProvider : IUsageStoreProvider
{
    /// <inheritdoc />
    public string Name => "sqlite";

    /// <inheritdoc />
    public void AddStore(IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration? configuration) => services.AddSqliteUsageStore();
}

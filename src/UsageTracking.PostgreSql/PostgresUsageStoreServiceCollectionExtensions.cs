using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UsageTracking.Analytics;
using UsageTracking.PostgreSql;
using UsageTracking.Sql;

[assembly: UsageTracking.UsageStoreProvider(typeof(PostgresStoreProvider))]

namespace UsageTracking.PostgreSql;

/// <summary>Registers the PostgreSQL store and everything it can do.</summary>
public static class PostgresUsageStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the PostgreSQL store as the usage store, with its reader, its rollups (aggregates), retention and read-only
    /// SQL over the usage table. <c>UsageTracking:Store = postgres</c> does the same.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The <c>UsageTracking</c> section, for <c>Postgres:ConnectionString</c>; null without configuration.</param>
    /// <param name="configure">Sets where the table is; by default the <c>UsageTracking</c> settings say.</param>
    public static IServiceCollection AddPostgresUsageStore(this IServiceCollection services, IConfiguration? section = null, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PostgresStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IOptions<UsageTrackingOptions>>((o, tracking) =>
        {
            o.ConnectionString = PostgresConnectionString.For(o.ConnectionString ?? tracking.Value.ConnectionString, section).ConnectionString;
            o.TableName ??= tracking.Value.TableName;
            o.Funnels ??= tracking.Value.Funnels;
        });
        services.TryAddSingleton(sp => new PostgresUsageStore(sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger<PostgresUsageStore>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IUsageStore>(sp => sp.GetRequiredService<PostgresUsageStore>());
        services.TryAddSingleton<IUsageReader>(sp => sp.GetRequiredService<PostgresUsageStore>());
        services.TryAddSingleton<IUsageAggregates>(sp => sp.GetRequiredService<PostgresUsageStore>());
        services.TryAddSingleton<IUsageRetention>(sp => sp.GetRequiredService<PostgresUsageStore>());
        services.TryAddSingleton<IUsageFunnelCounts>(sp => sp.GetRequiredService<PostgresUsageStore>());
        services.TryAddSingleton<IUsageSqlSource>(sp => sp.GetRequiredService<PostgresUsageStore>().SqlSource);
        services.AddSingleton(new UsageStoreRegistration("postgres"));
        return services;
    }
}

/// <summary>Registers the PostgreSQL store for <c>UsageTracking:Store = postgres</c>.</summary>
public sealed class PostgresStoreProvider : IUsageStoreProvider
{
    /// <inheritdoc />
    public string Name => "postgres";

    /// <inheritdoc />
    public void AddStore(IServiceCollection services, IConfiguration? configuration) => services.AddPostgresUsageStore(configuration);
}

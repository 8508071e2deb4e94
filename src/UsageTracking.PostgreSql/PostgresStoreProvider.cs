using Microsoft.Extensions.Logging;
using UsageTracking;
using UsageTracking.PostgreSql;

[assembly: UsageStoreProvider(typeof(PostgresStoreProvider))]

namespace UsageTracking.PostgreSql;

/// <summary>Creates the PostgreSQL store for <c>UsageTracking:Store = postgres</c>.</summary>
public sealed class PostgresStoreProvider : IUsageStoreProvider
{
    /// <inheritdoc />
    public string Name => "postgres";

    /// <inheritdoc />
    public IUsageStore Create(UsageStoreContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var connection = PostgresConnectionString.For(context.Options, context.Configuration);
        return new PostgresUsageStore(connection.ConnectionString, context.Options.TableName, context.LoggerFactory.CreateLogger<PostgresUsageStore>(), context.TimeProvider);
    }
}

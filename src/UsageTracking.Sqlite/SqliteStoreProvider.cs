using Microsoft.Extensions.Logging;
using UsageTracking;
using UsageTracking.Sqlite;

[assembly: UsageStoreProvider(typeof(SqliteStoreProvider))]

namespace UsageTracking.Sqlite;

/// <summary>Creates the SQLite store for <c>UsageTracking:Store = sqlite</c>, the default.</summary>
public sealed class SqliteStoreProvider : IUsageStoreProvider
{
    /// <inheritdoc />
    public string Name => "sqlite";

    /// <inheritdoc />
    public IUsageStore Create(UsageStoreContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = context.Options;
        var source = string.IsNullOrWhiteSpace(options.ConnectionString)
            ? Path.Combine(options.DataDirectory, "usage.db")
            : options.ConnectionString;
        return new SqliteUsageStore(source, options.TableName, context.LoggerFactory.CreateLogger<SqliteUsageStore>(), context.TimeProvider);
    }
}

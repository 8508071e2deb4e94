using Microsoft.Data.Sqlite;
using UsageTracking.Sqlite;

namespace UsageTracking.Tests.Support;

/// <summary>Builds trackers on real SQLite files and reads the table back for assertions.</summary>
public static class Tracking
{
    public static UsageTrackingOptions Options(TempFolder folder, Action<UsageTrackingOptions>? configure = null)
    {
        var options = new UsageTrackingOptions
        {
            AppName = "tests",
            DataDirectory = folder.Path,
            ConnectionString = folder.Database,
            SpoolDirectory = folder.Spool,
            FlushInterval = TimeSpan.FromMilliseconds(50),
            BreakDuration = TimeSpan.FromMilliseconds(500),
            RetryBudget = TimeSpan.FromSeconds(1),
            ShutdownTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return options;
    }

    public static SqliteUsageStore Store(TempFolder folder) => new(folder.Database);

    /// <summary>A tracker on the folder's SQLite file with every capability the store package registers, or writing to <paramref name="store"/> only.</summary>
    public static UsageTracker Create(TempFolder folder, Action<UsageTrackingOptions>? configure = null, IUsageStore? store = null) =>
        UsageTracker.Create(Options(folder, configure), loggerFactory: null, store: store);

    public static long Scalar(TempFolder folder, string sql) => Scalar(folder.Database, sql);

    public static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static long Rows(TempFolder folder) =>
        System.IO.File.Exists(folder.Database) && Scalar(folder, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'central_app_usage'") == 1
            ? Scalar(folder, "SELECT COUNT(*) FROM central_app_usage")
            : 0;

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; returns whether it did.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return condition();
    }

    public static void Execute(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

using Microsoft.Extensions.Logging;

namespace UsageTracking.PostgreSql;

/// <summary>What the PostgreSQL store logs, with stable event ids. Never a connection string.</summary>
internal static partial class Log
{
    [LoggerMessage(201, LogLevel.Information, "Created usage table {Table} ({Store}).")]
    public static partial void TableCreated(ILogger logger, string table, string store);

    [LoggerMessage(202, LogLevel.Information, "Added the columns {Columns} to the usage table {Table} ({Store}).")]
    public static partial void ColumnsAdded(ILogger logger, string columns, string table, string store);

    [LoggerMessage(203, LogLevel.Information, "Created the rollups of {Table} and counted them from its rows in {Elapsed:0} ms.")]
    public static partial void RollupsCreated(ILogger logger, string table, double elapsed);
}

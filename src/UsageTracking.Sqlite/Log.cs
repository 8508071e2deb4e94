using Microsoft.Extensions.Logging;

namespace UsageTracking.Sqlite;

/// <summary>What the SQLite store logs, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(101, LogLevel.Information, "Created usage table {Table} in {Path}.")]
    public static partial void TableCreated(ILogger logger, string table, string path);

    [LoggerMessage(102, LogLevel.Information, "Added the columns {Columns} to the usage table {Table} in {Path}.")]
    public static partial void ColumnsAdded(ILogger logger, string columns, string table, string path);

    [LoggerMessage(103, LogLevel.Information, "Counted the rollups of {Table} from its rows in {Elapsed:0} ms ({Reason}).")]
    public static partial void RollupsBuilt(ILogger logger, string table, string reason, double elapsed);

    [LoggerMessage(104, LogLevel.Warning, "The usage table {Table} has rows its rollups have not counted (written by another tool); stats and dashboards count the rows, more slowly, until `usage rebuild-rollups` runs.")]
    public static partial void RollupsBehind(ILogger logger, string table);
}

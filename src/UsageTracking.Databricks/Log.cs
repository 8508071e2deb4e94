using Microsoft.Extensions.Logging;

namespace UsageTracking.Databricks;

/// <summary>What the Databricks store logs, with stable event ids. Never a token.</summary>
internal static partial class Log
{
    [LoggerMessage(301, LogLevel.Information, "Databricks table {Table} ({Where}) has the {Mode} schema.")]
    public static partial void SchemaReady(ILogger logger, string table, string where, StoreSchemaMode mode);

    [LoggerMessage(302, LogLevel.Information, "Added the columns {Columns} to the Databricks table {Table} ({Where}).")]
    public static partial void ColumnsAdded(ILogger logger, string columns, string table, string where);
}

using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace UsageTracking.Sqlite;

/// <summary>Errors of calls made through SQLitePCLRaw, as the <see cref="SqliteException"/> Microsoft.Data.Sqlite would throw (same codes).</summary>
internal static class SqliteErrors
{
    public static SqliteException From(SqliteConnection connection, int rc)
    {
        var handle = connection.Handle;
        return new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(handle).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(handle));
    }
}

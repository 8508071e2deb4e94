using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace UsageTracking.Sqlite;

/// <summary>
/// The store's hot loop: one statement prepared once on the writer's connection, each row bound straight from the
/// event's fields as UTF-16 spans through SQLitePCLRaw (the library under Microsoft.Data.Sqlite). This skips
/// Microsoft.Data.Sqlite's per-execution parameter objects and data reader, about a third of the cost of a row,
/// and allocates nothing per row. Errors become <see cref="SqliteException"/> with SQLite's codes, as the
/// higher-level API would throw.
/// </summary>
internal sealed class SqliteBatchInsert : IDisposable
{
    private const int SqliteDone = 101;

    private readonly SqliteConnection _connection;
    private readonly bool _compat;
    private readonly bool _flagged;
    private sqlite3_stmt? _statement;

    public SqliteBatchInsert(SqliteConnection connection, string quotedTable, TableShape shape)
    {
        _connection = connection;
        _compat = !shape.Extended;
        // The extended columns in UsageColumns order, bound by position below; is_error last, when the table has it.
        _flagged = shape.Extended && shape.Has("is_error");
        var columns = (_compat ? UsageColumns.Seed : UsageColumns.All.Where(c => c.Name != "is_error" || _flagged)).Select(c => c.Name).ToList();
        // ON CONFLICT (event_id) DO NOTHING rather than INSERT OR IGNORE: only a repeated event is skipped;
        // any other constraint (NOT NULL, a CHECK or trigger of the operator's) still fails, so the event is quarantined, not silently lost.
        var conflict = _compat ? "" : " ON CONFLICT (event_id) DO NOTHING";
        var sql = $"INSERT INTO {quotedTable} ({string.Join(", ", columns.Select(SqliteUsageStore.Quote))}) " +
                  $"VALUES ({string.Join(", ", columns.Select((_, i) => $"?{i + 1}"))}){conflict}";
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement));
        _statement = statement;
    }

    /// <summary>Inserts one row; false when it was skipped as a repeat of an event already stored.</summary>
    public bool Insert(UsageEvent e)
    {
        var statement = _statement ?? throw new ObjectDisposedException(nameof(SqliteBatchInsert));
        Span<char> timestamp = stackalloc char[23];
        e.Timestamp.UtcDateTime.TryFormat(timestamp, out var length, SqliteUsageStore.TimestampFormat, CultureInfo.InvariantCulture);
        raw.sqlite3_bind_text16(statement, 1, timestamp[..length]);
        Text(statement, 2, e.AppName ?? "");
        Text(statement, 3, e.User ?? "");
        if (_compat)
        {
            Text(statement, 4, e.CompatAction);
        }
        else
        {
            Text(statement, 4, e.Action);
            Text(statement, 5, e.EventId);
            Text(statement, 6, e.SessionId);
            Text(statement, 7, e.Detail);
            Real(statement, 8, e.DurationMs);
            Text(statement, 9, e.Model);
            Integer(statement, 10, e.InputTokens);
            Integer(statement, 11, e.OutputTokens);
            Real(statement, 12, e.CostUsd is { } cost ? (double)cost : null);
            Text(statement, 13, e.PropertiesJson);
            if (_flagged)
            {
                raw.sqlite3_bind_int64(statement, 14, e.IsError ? 1 : 0);
            }
        }

        var rc = raw.sqlite3_step(statement);
        if (rc != SqliteDone)
        {
            var error = Error(rc);
            raw.sqlite3_reset(statement);
            throw error;
        }

        raw.sqlite3_reset(statement);
        return raw.sqlite3_changes(_connection.Handle) > 0;
    }

    public void Dispose()
    {
        if (_statement is { } statement)
        {
            raw.sqlite3_finalize(statement);
            _statement = null;
        }
    }

    private static void Text(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(statement, index);
        }
        else
        {
            raw.sqlite3_bind_text16(statement, index, value.AsSpan());
        }
    }

    private static void Real(sqlite3_stmt statement, int index, double? value)
    {
        if (value is { } v)
        {
            raw.sqlite3_bind_double(statement, index, v);
        }
        else
        {
            raw.sqlite3_bind_null(statement, index);
        }
    }

    private static void Integer(sqlite3_stmt statement, int index, long? value)
    {
        if (value is { } v)
        {
            raw.sqlite3_bind_int64(statement, index, v);
        }
        else
        {
            raw.sqlite3_bind_null(statement, index);
        }
    }

    private void Check(int rc)
    {
        if (rc != 0)
        {
            throw Error(rc);
        }
    }

    private SqliteException Error(int rc) => SqliteErrors.From(_connection, rc);
}

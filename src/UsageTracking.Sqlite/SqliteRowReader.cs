using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace UsageTracking.Sqlite;

/// <summary>
/// Reads rows through SQLitePCLRaw on an open connection: one prepared statement stepped directly, text decoded from
/// its UTF-8 bytes. About a third cheaper per row than <c>SqliteDataReader</c>, for reads of millions of rows (exports).
/// </summary>
internal sealed class SqliteRowReader : IDisposable
{
    private const int SqliteRow = 100;
    private const int SqliteDone = 101;
    private const int SqliteNull = 5;
    private readonly SqliteConnection _connection;
    private sqlite3_stmt? _statement;

    public SqliteRowReader(SqliteConnection connection, string sql, IEnumerable<(string Name, string Value)> parameters)
    {
        _connection = connection;
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement));
        _statement = statement;
        foreach (var (name, value) in parameters)
        {
            var index = raw.sqlite3_bind_parameter_index(statement, name);
            if (index > 0)
            {
                raw.sqlite3_bind_text16(statement, index, value.AsSpan());
            }
        }
    }

    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == SqliteRow)
        {
            return true;
        }

        if (rc == SqliteDone)
        {
            return false;
        }

        throw Error(rc);
    }

    public string? Text(int column) =>
        raw.sqlite3_column_type(_statement, column) == SqliteNull ? null : Encoding.UTF8.GetString(raw.sqlite3_column_blob(_statement, column));

    public double? Real(int column) =>
        raw.sqlite3_column_type(_statement, column) == SqliteNull ? null : raw.sqlite3_column_double(_statement, column);

    public long? Integer(int column) =>
        raw.sqlite3_column_type(_statement, column) == SqliteNull ? null : raw.sqlite3_column_int64(_statement, column);

    public void Dispose()
    {
        if (_statement is { } statement)
        {
            raw.sqlite3_finalize(statement);
            _statement = null;
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

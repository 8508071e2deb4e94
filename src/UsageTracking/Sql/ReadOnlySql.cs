namespace UsageTracking.Sql;

/// <summary>The SQL a source speaks.</summary>
public enum SqlDialect
{
    /// <summary>SQLite 3.</summary>
    Sqlite,

    /// <summary>PostgreSQL.</summary>
    Postgres,

    /// <summary>Databricks SQL (Spark SQL).</summary>
    Databricks,
}

/// <summary>What one query may take: how long it runs, and how large one value of its result may be.</summary>
/// <param name="Timeout">How long the query may run (counted from when it was asked for, by the caller).</param>
/// <param name="MaxValueBytes">The largest single value (a text or a blob) the result may hold; a larger one fails the query.</param>
public sealed record SqlLimits(TimeSpan Timeout, int MaxValueBytes = SqlLimits.DefaultMaxValueBytes)
{
    /// <summary>1 MiB: far more than a result table or a spreadsheet cell shows.</summary>
    public const int DefaultMaxValueBytes = 1 << 20;

    /// <summary>The sentence for a value over <see cref="MaxValueBytes"/>.</summary>
    public string ValueTooLarge => $"A value in the result is larger than the {MaxValueBytes / 1024:N0} KiB one cell may hold; select less of it (for example with substr).";
}

/// <summary>A column as the database describes it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Type">Its declared type, in the database's words.</param>
public sealed record SqlColumn(string Name, string Type);

/// <summary>Rows read forward once, with named columns: a query's result or the usage table's events.</summary>
public interface IRowReader : IAsyncDisposable
{
    /// <summary>Column names in order (two columns may share a name).</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The row just read; the array may be reused, so copy what you keep.</summary>
    object?[] Current { get; }

    /// <summary>Moves to the next row.</summary>
    /// <exception cref="SqlQueryException">The database failed the query while it ran.</exception>
    ValueTask<bool> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A table people may query with their own SQL, run so that it cannot change anything: each implementation makes the
/// database itself refuse writes (a read-only connection, a read-only transaction, or the principal's grants) and stops
/// a query at its timeout. Checking the SQL first (one SELECT, no dangerous functions) is the caller's job.
/// </summary>
public interface IReadOnlySqlSource
{
    /// <summary>The SQL the source speaks.</summary>
    SqlDialect Dialect { get; }

    /// <summary>The table, as a query names it.</summary>
    string TableName { get; }

    /// <summary>The table's columns, or the columns it will have when it does not exist yet.</summary>
    /// <exception cref="SqlQueryException">The database cannot be reached or has no such table.</exception>
    Task<IReadOnlyList<SqlColumn>> GetColumnsAsync(CancellationToken cancellationToken);

    /// <summary>Runs one query read-only, within <paramref name="limits"/>.</summary>
    /// <exception cref="SqlQueryException">The database refused or failed the query (or it broke a limit); the message is one sentence for the user.</exception>
    Task<IRowReader> OpenAsync(string sql, SqlLimits limits, CancellationToken cancellationToken);

    /// <summary>
    /// Compiles one query against the table without reading its rows, the way <see cref="OpenAsync"/> would run it: an
    /// unknown column, a type error or a second statement fails here, before anyone is shown the SQL.
    /// </summary>
    /// <exception cref="SqlQueryException">The database would refuse the query; the message is one sentence for the user.</exception>
    Task CheckAsync(string sql, SqlLimits limits, CancellationToken cancellationToken);
}

/// <summary>The usage table as an <see cref="IReadOnlySqlSource"/>, registered by a store package that can offer it.</summary>
public interface IUsageSqlSource : IReadOnlySqlSource;

/// <summary>A query failed in the database; <see cref="Exception.Message"/> is one sentence fit for the user.</summary>
public sealed class SqlQueryException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One sentence, no secrets.</param>
    /// <param name="innerException">The cause.</param>
    public SqlQueryException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>Marks a store's read-only SQL source as the usage table's; what store packages register as <see cref="IUsageSqlSource"/>.</summary>
/// <param name="table">The source over the usage table.</param>
public sealed class UsageSqlSource(IReadOnlySqlSource table) : IUsageSqlSource
{
    /// <inheritdoc />
    public SqlDialect Dialect => table.Dialect;

    /// <inheritdoc />
    public string TableName => table.TableName;

    /// <inheritdoc />
    public Task<IReadOnlyList<SqlColumn>> GetColumnsAsync(CancellationToken cancellationToken) => table.GetColumnsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IRowReader> OpenAsync(string sql, SqlLimits limits, CancellationToken cancellationToken) => table.OpenAsync(sql, limits, cancellationToken);

    /// <inheritdoc />
    public Task CheckAsync(string sql, SqlLimits limits, CancellationToken cancellationToken) => table.CheckAsync(sql, limits, cancellationToken);
}

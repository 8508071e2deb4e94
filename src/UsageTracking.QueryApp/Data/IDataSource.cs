using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Data;

/// <summary>A table the generator knows: its name and its columns with their declared types.</summary>
public sealed record TableSchema(string Name, IReadOnlyList<(string Name, string Type)> Columns)
{
    /// <summary>A CREATE TABLE statement for prompts and the schema panel.</summary>
    public string ToDdl() => $"CREATE TABLE {Name} (\n{string.Join(",\n", Columns.Select(c => $"  {c.Name} {c.Type}"))}\n);";
}

/// <summary>Something users can ask questions of: the demo data, the usage table, a Databricks warehouse.</summary>
public interface IDataSource
{
    /// <summary>Short id used in URLs and in tracked events (<c>demo</c>, <c>usage</c>, <c>databricks</c>).</summary>
    string Id { get; }

    /// <summary>Name shown to users.</summary>
    string Title { get; }

    /// <summary>The SQL the source speaks.</summary>
    SqlDialect Dialect { get; }

    /// <summary>Which built-in question set and offline rules apply: <c>clinical_trials</c>, <c>usage</c> or <c>none</c>.</summary>
    string Domain { get; }

    /// <summary>The main table queries are about.</summary>
    Task<TableSchema> GetSchemaAsync(CancellationToken cancellationToken);

    /// <summary>Runs a query that has passed <see cref="QueryApp.Sql.SqlGuard"/>, read-only, within <paramref name="limits"/>.</summary>
    /// <exception cref="SqlQueryException">The database refused or failed the query.</exception>
    Task<IRowReader> OpenAsync(string sql, SqlLimits limits, CancellationToken cancellationToken);

    /// <summary>Compiles a query against the source without reading rows; throws <see cref="SqlQueryException"/> for one the database would refuse.</summary>
    Task CheckAsync(string sql, SqlLimits limits, CancellationToken cancellationToken);
}

/// <summary>A read-only SQL source offered under a name: the demo data, the usage table, a Databricks table.</summary>
/// <param name="id">Short id.</param>
/// <param name="title">Name shown to users.</param>
/// <param name="domain">Which built-in question set applies.</param>
/// <param name="source">The table, queried read-only by its store package.</param>
public sealed class DataSource(string id, string title, string domain, IReadOnlySqlSource source) : IDataSource
{
    /// <inheritdoc />
    public string Id => id;

    /// <inheritdoc />
    public string Title => title;

    /// <inheritdoc />
    public SqlDialect Dialect => source.Dialect;

    /// <inheritdoc />
    public string Domain => domain;

    /// <inheritdoc />
    public async Task<TableSchema> GetSchemaAsync(CancellationToken cancellationToken)
    {
        // The source keeps the columns once the table is there (the usage table is described as it will be until its first write).
        var columns = await source.GetColumnsAsync(cancellationToken).ConfigureAwait(false);
        return new TableSchema(source.TableName, columns.Select(c => (c.Name, c.Type)).ToList());
    }

    /// <inheritdoc />
    public Task<IRowReader> OpenAsync(string sql, SqlLimits limits, CancellationToken cancellationToken) => source.OpenAsync(sql, limits, cancellationToken);

    /// <inheritdoc />
    public Task CheckAsync(string sql, SqlLimits limits, CancellationToken cancellationToken) => source.CheckAsync(sql, limits, cancellationToken);
}

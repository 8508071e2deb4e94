using UsageTracking.QueryApp.Sql;

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

    /// <summary>Runs a query that has passed <see cref="SqlGuard"/>, read-only, stopped after <paramref name="timeout"/>.</summary>
    /// <exception cref="QueryFailedException">The database refused or failed the query.</exception>
    Task<IQueryReader> OpenAsync(string sql, TimeSpan timeout, CancellationToken cancellationToken);
}

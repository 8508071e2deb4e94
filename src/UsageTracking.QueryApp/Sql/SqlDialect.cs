namespace UsageTracking.QueryApp.Sql;

/// <summary>The SQL engines a data source can speak; they differ in quoting and date functions.</summary>
public enum SqlDialect
{
    /// <summary>SQLite (the embedded store and the demo data).</summary>
    Sqlite,

    /// <summary>PostgreSQL.</summary>
    Postgres,

    /// <summary>Databricks SQL (Spark SQL).</summary>
    Databricks,
}

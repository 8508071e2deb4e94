using Npgsql;

namespace UsageTracking.PostgreSql;

/// <summary>
/// Where the PostgreSQL store connects: <c>UsageTracking:ConnectionString</c>, else
/// <c>UsageTracking:Postgres:ConnectionString</c>, else the environment variable <c>DATABASE_URL</c>.
/// Each may be an Npgsql connection string or a URI <c>postgresql://user:password@host:port/database?sslmode=require</c>.
/// </summary>
public static class PostgresConnectionString
{
    /// <summary>
    /// The connection string the store uses: <paramref name="connectionString"/> (<c>UsageTracking:ConnectionString</c>), else
    /// <c>Postgres:ConnectionString</c> of the <c>UsageTracking</c> section, else <c>DATABASE_URL</c>; parsed as <see cref="Resolve"/> does.
    /// </summary>
    /// <param name="connectionString">The configured connection string, if any.</param>
    /// <param name="section">The <c>UsageTracking</c> configuration section, when configuration is used.</param>
    public static NpgsqlConnectionStringBuilder For(string? connectionString, Microsoft.Extensions.Configuration.IConfiguration? section)
    {
        var configured = !string.IsNullOrWhiteSpace(connectionString) ? connectionString : section?["Postgres:ConnectionString"];
        return Resolve(configured, Environment.GetEnvironmentVariable("DATABASE_URL"));
    }

    /// <summary>Resolves and parses the connection string; throws <see cref="ArgumentException"/> naming the settings when none is set or it is malformed.</summary>
    /// <param name="configured">The value from <c>UsageTracking:ConnectionString</c> or <c>UsageTracking:Postgres:ConnectionString</c>.</param>
    /// <param name="environment">The value of <c>DATABASE_URL</c>.</param>
    public static NpgsqlConnectionStringBuilder Resolve(string? configured, string? environment)
    {
        var text = !string.IsNullOrWhiteSpace(configured) ? configured : environment;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException(
                "UsageTracking:Store is 'postgres' but no connection string is set: set UsageTracking:ConnectionString, UsageTracking:Postgres:ConnectionString or DATABASE_URL.");
        }

        try
        {
            return text.Contains("://", StringComparison.Ordinal) ? FromUri(text) : new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            // Never echo the text: it may hold a password.
            throw new ArgumentException("The PostgreSQL connection string (UsageTracking:ConnectionString or DATABASE_URL) is malformed.", ex);
        }
    }

    /// <summary>Parses <c>postgres://</c> and <c>postgresql://</c> URIs, as the earlier tracker's <c>database_uri</c> allowed.</summary>
    /// <param name="uri">The URI.</param>
    public static NpgsqlConnectionStringBuilder FromUri(string uri)
    {
        var parsed = new Uri(uri);
        if (parsed.Scheme is not ("postgres" or "postgresql"))
        {
            throw new FormatException("The URI scheme must be postgres or postgresql.");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port <= 0 ? 5432 : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : null,
        };
        if (parsed.UserInfo.Length > 0)
        {
            var parts = parsed.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in parsed.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
        }

        return builder;
    }
}

using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace UsageTracking.Databricks;

/// <summary>
/// Where and how the Databricks store connects. Read from the environment as the earlier tracker did
/// (<c>DATABRICKS_SERVER_HOSTNAME</c> or <c>DATABRICKS_HOST</c>, <c>DATABRICKS_HTTP_PATH</c>, <c>DATABRICKS_ACCESS_TOKEN</c>,
/// or <c>DATABRICKS_CLIENT_ID</c> + <c>DATABRICKS_CLIENT_SECRET</c> for OAuth machine-to-machine), or from the
/// <c>UsageTracking:Databricks</c> section (<c>Host</c>, <c>HttpPath</c>, <c>AccessToken</c>, <c>ClientId</c>, <c>ClientSecret</c>),
/// which wins. Secrets never appear in <see cref="ToString"/>, logs or exceptions.
/// </summary>
public sealed partial class DatabricksSettings
{
    /// <summary>The workspace's base address, <c>https://host</c> (or <c>http://127.0.0.1:port</c> for a local emulator or proxy).</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>The SQL warehouse id, the last segment of the HTTP path.</summary>
    public required string WarehouseId { get; init; }

    /// <summary>A personal access token, or null with OAuth.</summary>
    public string? AccessToken { get; init; }

    /// <summary>The OAuth client id (a service principal), or null.</summary>
    public string? ClientId { get; init; }

    /// <summary>The OAuth client secret, or null.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Reads and checks the settings; throws <see cref="ArgumentException"/> with one sentence naming what is wrong.</summary>
    /// <param name="section">The <c>UsageTracking</c> section, or null.</param>
    /// <param name="environment">Reads an environment variable (the real environment by default).</param>
    public static DatabricksSettings Read(IConfiguration? section, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? Get(string key, params string[] variables) =>
            section?[$"Databricks:{key}"] is { Length: > 0 } configured ? configured : variables.Select(environment).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

        var host = Get("Host", "DATABRICKS_SERVER_HOSTNAME", "DATABRICKS_HOST")
            ?? throw new ArgumentException("UsageTracking:Store is 'databricks' but no workspace is set: set DATABRICKS_SERVER_HOSTNAME (or DATABRICKS_HOST, or UsageTracking:Databricks:Host).");
        var path = Get("HttpPath", "DATABRICKS_HTTP_PATH")
            ?? throw new ArgumentException("UsageTracking:Store is 'databricks' but no SQL warehouse is set: set DATABRICKS_HTTP_PATH (or UsageTracking:Databricks:HttpPath) to the warehouse's HTTP path, /sql/1.0/warehouses/<id>.");
        var token = Get("AccessToken", "DATABRICKS_ACCESS_TOKEN", "DATABRICKS_TOKEN");
        var clientId = Get("ClientId", "DATABRICKS_CLIENT_ID");
        var clientSecret = Get("ClientSecret", "DATABRICKS_CLIENT_SECRET");
        if (token is null && (clientId is null || clientSecret is null))
        {
            throw new ArgumentException("UsageTracking:Store is 'databricks' but no credentials are set: set DATABRICKS_ACCESS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET for OAuth.");
        }

        return new DatabricksSettings
        {
            BaseAddress = ParseHost(host),
            WarehouseId = ParseWarehouse(path),
            AccessToken = token,
            ClientId = token is null ? clientId : null,
            ClientSecret = token is null ? clientSecret : null,
        };
    }

    /// <summary>
    /// A bare host gets https. An explicit http:// is accepted only for a loopback address (an emulator or a local
    /// proxy): the token must never cross a network in the clear.
    /// </summary>
    /// <param name="host">The host, with or without a scheme.</param>
    public static Uri ParseHost(string host)
    {
        var text = host.Trim().TrimEnd('/');
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "https://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new ArgumentException($"The Databricks host '{host}' is not a host name (expected e.g. adb-123.4.azuredatabricks.net).");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            throw new ArgumentException($"The Databricks host '{host}' uses http, which is accepted only for 127.0.0.1 or localhost (an emulator or proxy); use https.");
        }

        if (uri.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"The Databricks host '{host}' must be an https address.");
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>The warehouse id from <c>/sql/1.0/warehouses/&lt;id&gt;</c> or the legacy <c>/sql/1.0/endpoints/&lt;id&gt;</c>.</summary>
    /// <param name="httpPath">The HTTP path.</param>
    public static string ParseWarehouse(string httpPath)
    {
        var path = httpPath.Trim();
        if (path.Contains("/protocolv1/", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"DATABRICKS_HTTP_PATH '{path}' points at a cluster, which the SQL Statement Execution API cannot use; use a SQL warehouse's HTTP path, /sql/1.0/warehouses/<id>.");
        }

        var match = WarehousePath().Match(path);
        return match.Success
            ? match.Groups["id"].Value
            : throw new ArgumentException($"DATABRICKS_HTTP_PATH '{path}' is not a SQL warehouse path (expected /sql/1.0/warehouses/<id>).");
    }

    /// <inheritdoc />
    public override string ToString() => $"warehouse {WarehouseId} on {BaseAddress.Host}";

    [GeneratedRegex(@"^/?sql/1\.0/(warehouses|endpoints)/(?<id>[A-Za-z0-9]+)/?$")]
    private static partial Regex WarehousePath();
}

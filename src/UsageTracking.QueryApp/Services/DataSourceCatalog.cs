using Microsoft.Extensions.Options;
using UsageTracking.Databricks;
using UsageTracking.PostgreSql;
using UsageTracking.QueryApp.Data;
using UsageTracking.Sqlite;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// The data sources on offer: the demo clinical-trials data (always), the usage table in whichever store the tracker
/// writes to, and a Databricks table when <c>QueryApp:DatabricksTable</c> and the workspace settings are given.
/// </summary>
public sealed class DataSourceCatalog : IAsyncDisposable
{
    private readonly List<IDataSource> _sources = [];

    /// <summary>Builds the catalog from the app's settings and the tracker's store.</summary>
    public DataSourceCatalog(IOptions<QueryAppOptions> appOptions, UsageTracker usageTracker, IOptions<UsageTrackingOptions> trackerOptions, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(usageTracker);
        ArgumentNullException.ThrowIfNull(configuration);
        var app = appOptions.Value;
        var tracker = trackerOptions.Value;
        DataDirectory = app.DataDirectory ?? tracker.DataDirectory;
        DemoPath = Path.Combine(DataDirectory, "demo-clinical-trials.db");
        _sources.Add(new SqliteDataSource("demo", "Clinical trials (demo)", "clinical_trials", DemoPath, DemoData.Table));

        // The usage table where the tracker writes it: the store has already resolved the file or connection.
        var usageSection = configuration.GetSection(UsageTrackingOptions.SectionName);
        switch (usageTracker.Store)
        {
            case SqliteUsageStore sqlite:
                _sources.Add(new SqliteDataSource("usage", "Usage table", "usage", sqlite.DatabasePath, sqlite.TableName, UsageTableSchema(sqlite.TableName)));
                break;
            case PostgresUsageStore:
                _sources.Add(new PostgresDataSource("usage", "Usage table", "usage", PostgresConnectionString.For(tracker, usageSection).ConnectionString, tracker.TableName));
                break;
            case DatabricksUsageStore:
                _sources.Add(new DatabricksDataSource("usage", "Usage table", "usage", DatabricksSettings.Read(usageSection), tracker.TableName));
                break;
        }

        if (!string.IsNullOrWhiteSpace(app.DatabricksTable))
        {
            var settings = DatabricksSettings.Read(configuration.GetSection(QueryAppOptions.SectionName));
            _sources.Add(new DatabricksDataSource("databricks", $"Databricks: {app.DatabricksTable}", "none", settings, app.DatabricksTable));
        }
    }

    /// <summary>Where the demo data and saved examples live.</summary>
    public string DataDirectory { get; }

    /// <summary>The demo database file.</summary>
    public string DemoPath { get; }

    /// <summary>All sources, the default first.</summary>
    public IReadOnlyList<IDataSource> All => _sources;

    /// <summary>The source with <paramref name="id"/>, or the default one when the id is unknown or missing.</summary>
    public IDataSource Get(string? id) => _sources.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.OrdinalIgnoreCase)) ?? _sources[0];

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources)
        {
            switch (source)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    private static TableSchema UsageTableSchema(string table) => new(table,
    [
        ("timestamp", "TEXT"), ("app_name", "TEXT"), ("user", "TEXT"), ("action", "TEXT"), ("event_id", "TEXT"), ("session_id", "TEXT"),
        ("detail", "TEXT"), ("duration_ms", "REAL"), ("model", "TEXT"), ("input_tokens", "INTEGER"), ("output_tokens", "INTEGER"),
        ("cost_usd", "REAL"), ("properties", "TEXT"),
    ]);
}

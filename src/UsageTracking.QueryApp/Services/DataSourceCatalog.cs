using Microsoft.Extensions.Options;
using UsageTracking.Databricks;
using UsageTracking.QueryApp.Data;
using UsageTracking.Sql;
using UsageTracking.Sqlite;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// The data sources on offer: the demo clinical-trials data (always), the usage table when the tracker's store offers
/// read-only SQL over it (<see cref="IUsageSqlSource"/>), and a Databricks table when <c>QueryApp:DatabricksTable</c> and
/// the workspace settings are given.
/// </summary>
public sealed class DataSourceCatalog : IDisposable
{
    private readonly List<IDataSource> _sources = [];
    private readonly DatabricksSqlSource? _databricks;

    /// <summary>Builds the catalog from the app's settings and the usage store's SQL capability.</summary>
    public DataSourceCatalog(IOptions<QueryAppOptions> appOptions, IOptions<UsageTrackingOptions> trackerOptions, IConfiguration configuration, IUsageSqlSource? usageTable = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var app = appOptions.Value;
        DataDirectory = app.DataDirectory ?? trackerOptions.Value.DataDirectory;
        DemoPath = Path.Combine(DataDirectory, "demo-clinical-trials.db");
        _sources.Add(new DataSource("demo", "Clinical trials (demo)", "clinical_trials", new SqliteSqlSource(DemoPath, DemoData.Table)));
        if (usageTable is not null)
        {
            _sources.Add(new DataSource("usage", "Usage table", "usage", usageTable));
        }

        if (!string.IsNullOrWhiteSpace(app.DatabricksTable))
        {
            _databricks = new DatabricksSqlSource(DatabricksSettings.Read(configuration.GetSection(QueryAppOptions.SectionName)), app.DatabricksTable,
                trackerOptions.Value.AppName);
            _sources.Add(new DataSource("databricks", $"Databricks: {app.DatabricksTable}", "none", _databricks));
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
    public void Dispose() => _databricks?.Dispose();
}

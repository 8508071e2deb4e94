using UsageTracking.QueryApp.Data;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>A demo database with a few thousand studies, built once for a test class.</summary>
public sealed class DemoDataFixture : IAsyncLifetime
{
    public const int Studies = 4_000;

    private readonly TempFolder _folder = new();

    public string Path => _folder.File("demo.db");

    public IDataSource Source => new DataSource("demo", "Clinical trials (demo)", "clinical_trials", Table);

    /// <summary>The demo table, read-only through the SQLite store package.</summary>
    public SqliteSqlSource Table => new(Path, DemoData.Table);

    public IReadOnlyList<DemoData.Study> Expected { get; } = DemoData.Generate(Studies).ToList();

    public Task InitializeAsync() => DemoData.EnsureAsync(Path, Studies);

    public Task DisposeAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }
}

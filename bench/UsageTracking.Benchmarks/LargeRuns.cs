using System.Diagnostics;
using UsageTracking.Analytics;
using UsageTracking.Reporting;

namespace UsageTracking.Benchmarks;

/// <summary>
/// One-shot measurements at scale, each in a process of its own, each against a baseline in the same run:
/// <list type="bullet">
/// <item><c>report N</c>: what <c>usage report</c> does (every panel for 30 days + the HTML file) over N events, against the
/// store's stats counted from the rows.</item>
/// <item><c>export-events N</c>: N events to CSV, with the peak memory, against just reading the same events.</item>
/// </list>
/// The synthetic table is built once through the store and cached in the temp folder (<see cref="SyntheticUsage"/>).
/// </summary>
internal static class LargeRuns
{
    public static async Task<int> ReportAsync(int rows)
    {
        await using var store = await SyntheticUsage.LoadAsync(rows);
        var clock = Stopwatch.StartNew();
        // The baseline: SQLite counting the rows of the range itself.
        var counted = RawRowStats.Sqlite(store.DatabasePath, UsageQuery.LastDays(31, DateTimeOffset.UtcNow));
        var baseline = clock.Elapsed;

        clock.Restart();
        var dashboard = await new UsageAnalytics(store, store).GetDashboardAsync(DashboardQuery.Last(TimeSpan.FromDays(30), DateTimeOffset.UtcNow));
        var file = Path.Combine(Path.GetTempPath(), $"usage-bench-report-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(file, HtmlReport.Render(new DashboardDocument(dashboard, 180, "Usage report")));
        var report = clock.Elapsed;
        var size = new FileInfo(file).Length;
        File.Delete(file);

        Console.WriteLine($"events in the table:        {(await store.GetExtentAsync(null, default)).Rows:N0} ({counted:N0} counted by the baseline)");
        Console.WriteLine($"baseline, stats from rows:  {baseline.TotalSeconds:N2} s");
        Console.WriteLine($"report (30 days, all apps): {report.TotalSeconds:N2} s for {dashboard.Kpis.Events:N0} events, {size / 1024.0:N0} KiB HTML ({report / baseline:P1} of the baseline)");
        return 0;
    }

    public static async Task<int> ExportEventsAsync(int rows)
    {
        await using var store = await SyntheticUsage.LoadAsync(rows);
        var query = new UsageQuery(DateTimeOffset.UtcNow.AddDays(-31), DateTimeOffset.UtcNow.AddMinutes(1));

        var clock = Stopwatch.StartNew();
        long read = 0;
        await foreach (var _ in store.ReadEventsAsync(query, default))
        {
            read++;
        }

        var baseline = clock.Elapsed;

        var memory = PeakMemory.Start();
        var file = Path.Combine(Path.GetTempPath(), $"usage-bench-export-{Guid.NewGuid():N}.csv");
        clock.Restart();
        long written;
        await using (var stream = File.Create(file))
        {
            written = await UsageExport.WriteAsync(stream, store.ReadEventsAsync(query, default), ExportFormat.Csv);
        }

        var export = clock.Elapsed;
        var (_, workingSet) = await memory.StopAsync();
        var size = new FileInfo(file).Length;
        File.Delete(file);

        Console.WriteLine($"baseline, read {read:N0} events:  {baseline.TotalSeconds:N2} s");
        Console.WriteLine($"CSV export of {written:N0} events: {export.TotalSeconds:N2} s, {size / 1024.0 / 1024.0:N0} MiB ({export / baseline:N2}x the read alone)");
        Console.WriteLine($"peak working set growth:      {workingSet:N1} MiB");
        return 0;
    }
}

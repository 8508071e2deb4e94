using System.Diagnostics;
using UsageTracking.Analytics;
using UsageTracking.Databricks;
using UsageTracking.Testing;

namespace UsageTracking.Benchmarks;

/// <summary>
/// A 30-day dashboard over a Databricks table of N events, through the Statement Execution API emulator (a fake whose
/// tables are SQLite): statements sent and bytes received, with the aggregates pushed down to the warehouse, and — the
/// baseline, as the store did before — with every event of the range read and folded in the client.
/// </summary>
internal static class DatabricksDashboard
{
    public static async Task<int> RunAsync(int rows, bool baseline)
    {
        await using (var source = await SyntheticUsage.LoadAsync(rows))
        {
        }

        await using var emulator = await DatabricksEmulator.StartAsync();
        emulator.ChunkSize = 20_000;
        File.Copy(SyntheticUsage.PathFor(rows), emulator.Database, overwrite: true);
        await using var store = new DatabricksUsageStore(emulator.Settings(), "main.usage.central_app_usage");
        var query = DashboardQuery.Last(TimeSpan.FromDays(30), DateTimeOffset.UtcNow);
        Console.WriteLine($"events in the table: {(await store.GetExtentAsync(null, default)).Rows:N0}");

        await MeasureAsync("pushed down (GROUP BY on the warehouse)", new UsageAnalytics(store, store), emulator, query);
        if (baseline)
        {
            await MeasureAsync("baseline: every event read and folded", new UsageAnalytics(store, null), emulator, query);
        }

        return 0;
    }

    private static async Task MeasureAsync(string name, UsageAnalytics analytics, DatabricksEmulator emulator, DashboardQuery query)
    {
        var (statements, bytes) = (emulator.ExecutedTotal, emulator.ResponseBytes);
        var byOperation = emulator.ResponseBytesByOperation.ToDictionary(kv => kv.Key, kv => kv.Value);
        var clock = Stopwatch.StartNew();
        var dashboard = await analytics.GetDashboardAsync(query);
        clock.Stop();
        Console.WriteLine($"{name}: {emulator.ExecutedTotal - statements} statements, {(emulator.ResponseBytes - bytes) / 1024.0:N1} KiB received, "
            + $"{clock.Elapsed.TotalSeconds:N2} s, {dashboard.Kpis.Events:N0} events on the dashboard");
        foreach (var (operation, total) in emulator.ResponseBytesByOperation.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var sent = total - byOperation.GetValueOrDefault(operation);
            if (sent > 0)
            {
                Console.WriteLine($"    {operation}: {sent / 1024.0:N1} KiB");
            }
        }
    }
}

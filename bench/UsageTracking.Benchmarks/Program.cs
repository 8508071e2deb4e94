using BenchmarkDotNet.Running;
using UsageTracking.Benchmarks;

// dotnet run -c Release -- --filter '*'        BenchmarkDotNet suites (hot path, drain)
// dotnet run -c Release -- memory               peak memory while 1,000,000 events are tracked with the store down
// dotnet run -c Release -- export-memory 100000  time and peak memory of a streamed .xlsx export of N rows × 10 columns
// dotnet run -c Release -- report 10000000        usage report's work over N events (table cached in the temp folder)
// dotnet run -c Release -- export-events 1000000  N events to CSV: time and peak memory
// dotnet run -c Release -- overflow 100000         per-call median and p99 in a burst of 2× the queue over 4 threads
// dotnet run -c Release -- databricks-dashboard 1000000 [--no-baseline]  a 30-day dashboard over N events in Databricks (emulator): statements, bytes
// dotnet run -c Release -- query-load 10            the query app under N users' hostile queries: peak memory, health latency
// dotnet run -c Release -- circuits 50              the query app's Blazor circuits in Chromium: heap per open tab, click → result vs direct calls
if (args is ["circuits", ..])
{
    return await CircuitCost.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 50);
}

if (args is ["databricks-dashboard", ..])
{
    return await DatabricksDashboard.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000,
        baseline: !args.Contains("--no-baseline"));
}

if (args is ["query-load", ..])
{
    return await QueryLoad.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10);
}

if (args is ["overflow", ..])
{
    return await OverflowBurst.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
}

if (args is ["report", ..])
{
    return await LargeRuns.ReportAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000);
}

if (args is ["export-events", ..])
{
    return await LargeRuns.ExportEventsAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
}

if (args is ["export-memory", ..])
{
    return await ExportMemory.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
}

if (args is ["memory", ..])
{
    return await MemoryUnderOutage.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
}

BenchmarkSwitcher.FromAssembly(typeof(TrackBenchmarks).Assembly).Run(args);
return 0;

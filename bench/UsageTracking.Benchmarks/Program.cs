using BenchmarkDotNet.Running;
using UsageTracking.Benchmarks;

// dotnet run -c Release -- --filter '*'        BenchmarkDotNet suites (hot path, drain)
// dotnet run -c Release -- memory               peak memory while 1,000,000 events are tracked with the store down
// dotnet run -c Release -- export-memory 100000  time and peak memory of a streamed .xlsx export of N rows × 10 columns
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

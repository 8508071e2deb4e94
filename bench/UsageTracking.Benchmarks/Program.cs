using BenchmarkDotNet.Running;
using UsageTracking.Benchmarks;

// dotnet run -c Release -- --filter '*'        BenchmarkDotNet suites (hot path, drain)
// dotnet run -c Release -- memory               peak memory while 1,000,000 events are tracked with the store down
if (args is ["memory", ..])
{
    return await MemoryUnderOutage.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

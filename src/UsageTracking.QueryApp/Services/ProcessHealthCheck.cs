using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace UsageTracking.QueryApp.Services;

/// <summary>The process itself: how long it has run, the CPU it has used, and its memory. Always healthy; it reports.</summary>
public sealed class ProcessHealthCheck(TimeProvider time) : IHealthCheck
{
    private static readonly DateTimeOffset Started = new(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var process = Process.GetCurrentProcess();
        var uptime = time.GetUtcNow() - Started;
        var data = new Dictionary<string, object>
        {
            ["started"] = Started.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["uptime_seconds"] = Math.Round(uptime.TotalSeconds),
            ["cpu_seconds"] = Math.Round(process.TotalProcessorTime.TotalSeconds, 1),
            ["cpu_share_since_start"] = uptime > TimeSpan.Zero ? Math.Round(process.TotalProcessorTime / uptime / Environment.ProcessorCount, 3) : 0,
            ["working_set_bytes"] = process.WorkingSet64,
            ["gc_heap_bytes"] = GC.GetTotalMemory(forceFullCollection: false),
            ["threads"] = process.Threads.Count,
        };
        return Task.FromResult(HealthCheckResult.Healthy($"Up {uptime:d\\.hh\\:mm\\:ss}.", data));
    }
}

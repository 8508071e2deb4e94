using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// Readiness: the usage store answers within 2 s, and the tracker is delivering — Degraded while events wait in the
/// spool or the circuit is open (nothing is lost, but writes are behind), Unhealthy when the store cannot be read.
/// </summary>
public sealed class UsageStoreHealthCheck(UsageTracker tracker, IUsageReader reader) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = tracker.GetHealth();
        var data = new Dictionary<string, object>
        {
            ["store"] = health.Store,
            ["queue_depth"] = health.QueueDepth,
            ["spool_files"] = health.SpoolFiles,
            ["spool_bytes"] = health.SpoolBytes,
            ["circuit_open"] = health.CircuitOpen,
            ["written"] = health.Written,
            ["last_successful_write"] = health.LastSuccessfulWrite?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "never",
        };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            data["rows"] = (await reader.GetExtentAsync(null, timeout.Token).ConfigureAwait(false)).Rows;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The usage store could not be read: {ex.GetType().Name}.", data: data);
        }

        if (health.CircuitOpen || health.SpoolFiles > 0)
        {
            return HealthCheckResult.Degraded(
                health.CircuitOpen ? "Writes to the usage store are failing; events wait in the spool." : "Events wait in the spool to be written.", data: data);
        }

        return HealthCheckResult.Healthy("The usage store answers and the tracker is keeping up.", data);
    }
}

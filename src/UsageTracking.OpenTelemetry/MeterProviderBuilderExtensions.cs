using UsageTracking;

// The extension lives in OpenTelemetry's namespace, as OpenTelemetry's own instrumentation packages do,
// so it shows up where a MeterProviderBuilder is configured.
namespace OpenTelemetry.Metrics;

/// <summary>Adds the tracker's metrics to an OpenTelemetry meter provider.</summary>
public static class UsageTrackingMeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to meter <c>UsageTracking</c>: delivery (<c>usage_tracking.events.*</c>, <c>write.*</c>, <c>batch.size</c>,
    /// <c>queue.depth</c>, <c>spool.*</c>) and usage (<c>usage_tracking.usage.events</c> by action,
    /// <c>usage_tracking.usage.tokens</c> and <c>usage_tracking.usage.cost</c> by model). Export them with any exporter,
    /// e.g. <c>AddOtlpExporter()</c> for a collector in front of Prometheus, InfluxDB or CloudWatch.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    public static MeterProviderBuilder AddUsageTrackingInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(UsageTrackingMetrics.MeterName);
    }
}

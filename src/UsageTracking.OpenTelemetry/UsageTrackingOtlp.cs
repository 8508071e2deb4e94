using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace UsageTracking;

/// <summary>Ships the tracker's metrics over OTLP when an endpoint is configured, as the OpenTelemetry environment variables say.</summary>
public static class UsageTrackingOtlp
{
    /// <summary>
    /// When <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <paramref name="endpoint"/>) is set, starts a meter provider that exports
    /// meter <c>UsageTracking</c> to it (protocol from <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>: <c>grpc</c> by default, or
    /// <c>http/protobuf</c>) every <paramref name="interval"/>; returns null when no endpoint is set. Dispose the result at exit.
    /// </summary>
    /// <param name="endpoint">The collector; null reads <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</param>
    /// <param name="interval">How often to export; null for 10 seconds.</param>
    public static MeterProvider? StartFromEnvironment(Uri? endpoint = null, TimeSpan? interval = null)
    {
        endpoint ??= Uri.TryCreate(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"), UriKind.Absolute, out var fromEnvironment) ? fromEnvironment : null;
        if (endpoint is null)
        {
            return null;
        }

        var httpProtobuf = string.Equals(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf", StringComparison.OrdinalIgnoreCase);
        return Sdk.CreateMeterProviderBuilder()
            .AddUsageTrackingInstrumentation()
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = httpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                // With http/protobuf the signal path is appended, as the environment variable's specification asks.
                exporter.Endpoint = httpProtobuf ? new Uri(endpoint, "v1/metrics") : endpoint;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)(interval ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
            })
            .Build();
    }
}

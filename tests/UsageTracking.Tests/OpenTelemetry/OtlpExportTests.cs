using System.Text;
using global::OpenTelemetry.Metrics;
using Microsoft.Extensions.Logging;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.OpenTelemetry;

/// <summary>The tracker's metrics reach an OTLP receiver on 127.0.0.1 (in process; it keeps what it is sent).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private PostReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PostReceiver.StartAsync("/v1/metrics");

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public void WithoutAnEndpoint_NothingStarts()
    {
        using var _ = new EnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", null);
        Assert.Null(UsageTrackingOtlp.StartFromEnvironment());
    }

    [Fact(Timeout = 60_000)]
    public async Task WithOtelExporterOtlpEndpoint_MetricsArriveOverOtlpHttp()
    {
        using var endpoint = new EnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", _receiver.BaseAddress.GetLeftPart(UriPartial.Authority));
        using var protocol = new EnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        using var meterProvider = UsageTrackingOtlp.StartFromEnvironment();
        Assert.NotNull(meterProvider);

        await using (var tracker = Tracking.Create(_folder))
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
            await tracker.FlushAsync();
            Assert.True(meterProvider.ForceFlush(10_000));
        }

        // OTLP is protobuf; metric names travel as UTF-8 strings inside it.
        var payload = string.Concat(_receiver.Bodies.Select(Encoding.UTF8.GetString));
        Assert.Contains("usage_tracking.events.written", payload, StringComparison.Ordinal);
        Assert.Contains(UsageTrackingMetrics.UsageEvents, payload, StringComparison.Ordinal);
        Assert.Contains(Actions.ExecuteSql, payload, StringComparison.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using global::OpenTelemetry.Metrics;
using Microsoft.Extensions.Logging;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.OpenTelemetry;

/// <summary>The tracker's metrics reach an OTLP receiver on 127.0.0.1 (in process; it keeps what it is sent).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private readonly ConcurrentQueue<byte[]> _received = new();
    private WebApplication _receiver = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _receiver = builder.Build();
        _receiver.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            _received.Enqueue(body.ToArray());
            return Results.Ok();
        });
        await _receiver.StartAsync();
    }

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
        using var endpoint = new EnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", _receiver.Urls.First());
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
        var payload = string.Concat(_received.Select(Encoding.UTF8.GetString));
        Assert.Contains("usage_tracking.events.written", payload, StringComparison.Ordinal);
        Assert.Contains(UsageTrackingMetrics.UsageEvents, payload, StringComparison.Ordinal);
        Assert.Contains(Actions.ExecuteSql, payload, StringComparison.Ordinal);
    }
}

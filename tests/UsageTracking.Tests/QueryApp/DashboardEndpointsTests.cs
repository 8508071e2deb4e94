using System.Net;
using System.Text.Json;
using DocumentFormat.OpenXml.Packaging;
using Microsoft.Extensions.DependencyInjection;

namespace UsageTracking.Tests.QueryApp;

/// <summary>/api/metrics, /api/health, /api/health/ready and /api/export on the real app.</summary>
public sealed class DashboardEndpointsTests
{
    private static async Task TrackAsync(QueryAppHost host, int events, int errors = 0)
    {
        var tracker = host.Services.GetRequiredService<IUsageTracker>();
        for (var i = 0; i < events; i++)
        {
            tracker.TrackUserAction($"user{i % 3}@example.com", i < errors ? Actions.SqlError : Actions.ExecuteSql, "session-1", 10 + i);
        }

        await tracker.FlushAsync();
    }

    [Fact]
    public async Task Metrics_ReportTheTrackedEvents()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        await TrackAsync(host, 20, errors: 5);
        using var client = host.Client();
        var metrics = JsonDocument.Parse(await client.GetStringAsync("/api/metrics?range=24h")).RootElement;
        var kpis = metrics.GetProperty("dashboard").GetProperty("kpis");
        Assert.Equal(20, kpis.GetProperty("events").GetInt64());
        Assert.Equal(5, kpis.GetProperty("errors").GetInt64());
        Assert.Equal(0.25, kpis.GetProperty("errorRate").GetDouble(), 9);
        Assert.Equal(3, kpis.GetProperty("activeUsersDay").GetInt64());
        Assert.Equal(180, metrics.GetProperty("retentionDays").GetInt32());
        Assert.Equal(20, metrics.GetProperty("tracker").GetProperty("written").GetInt64());
    }

    [Fact]
    public async Task Report_IsTheSelfContainedHtmlOfTheDashboard()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        await TrackAsync(host, 7);
        using var client = host.Client();
        var response = await client.GetAsync("/api/report?range=24h");
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("attachment;", response.Content.Headers.ContentDisposition!.ToString(), StringComparison.Ordinal);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"events\":7", html, StringComparison.Ordinal);
        Assert.Contains("UsageDashboard.render", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_UnknownRange_IsOneSentence()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        using var client = host.Client();
        var response = await client.GetAsync("/api/metrics?range=2w");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("range must be one of 1h, 6h, 24h, 7d, 30d, 90d, 180d.", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Health_IsLive_AndReadySaysWhatTheTrackerIsDoing()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        await TrackAsync(host, 4);
        using var client = host.Client();
        var live = await client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var ready = JsonDocument.Parse(await client.GetStringAsync("/api/health/ready")).RootElement;
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        var data = ready.GetProperty("checks").GetProperty("usage-store").GetProperty("data");
        Assert.Equal(4, data.GetProperty("rows").GetInt64());
        Assert.Equal(0, data.GetProperty("queue_depth").GetInt64());
        Assert.NotEqual("never", data.GetProperty("last_successful_write").GetString());
    }

    [Fact]
    public async Task EachCheck_AnswersOnItsOwn_AndTheProcessSaysItsUptimeCpuAndMemory()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        using var client = host.Client();

        var store = JsonDocument.Parse(await client.GetStringAsync("/api/health/usage-store")).RootElement;
        Assert.Equal(["usage-store"], store.GetProperty("checks").EnumerateObject().Select(c => c.Name));
        var process = JsonDocument.Parse(await client.GetStringAsync("/api/health/process")).RootElement.GetProperty("checks").GetProperty("process");
        Assert.Equal("Healthy", process.GetProperty("status").GetString());
        var data = process.GetProperty("data");
        Assert.True(data.GetProperty("uptime_seconds").GetDouble() >= 0);
        Assert.True(data.GetProperty("cpu_seconds").GetDouble() > 0);
        Assert.True(data.GetProperty("working_set_bytes").GetInt64() > 10 << 20);
        Assert.True(data.GetProperty("gc_heap_bytes").GetInt64() > 0);

        var unknown = await client.GetAsync("/api/health/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.True(JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task Ready_IsUnhealthy_WhenTheStoreCannotBeRead()
    {
        using var folder = new Support.TempFolder();
        Directory.CreateDirectory(folder.File("not-a-database"));
        await using var host = await QueryAppHost.StartAsync(100, ("UsageTracking:ConnectionString", folder.File("not-a-database")));
        using var client = host.Client();
        var response = await client.GetAsync("/api/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
    }

    [Fact]
    public async Task Export_StreamsEveryFormat()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        await TrackAsync(host, 12);
        using var client = host.Client();
        var csv = await client.GetStringAsync("/api/export?days=1&format=csv");
        Assert.Equal(13, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("timestamp,app_name,user,action,event_id", csv, StringComparison.Ordinal);
        Assert.Equal(12, JsonDocument.Parse(await client.GetStringAsync("/api/export?days=1&format=json")).RootElement.GetArrayLength());
        var xlsx = await client.GetAsync("/api/export?days=1&format=xlsx");
        using var document = SpreadsheetDocument.Open(await xlsx.Content.ReadAsStreamAsync(), false);
        Assert.Equal(13, document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<DocumentFormat.OpenXml.Spreadsheet.Row>().Count());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/export?days=1&format=pdf")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/export?days=0")).StatusCode);
    }

    [Fact]
    public async Task Export_WithAnApiKeyConfigured_NeedsTheHeader()
    {
        await using var host = await QueryAppHost.StartAsync(100, ("QueryApp:ApiKey", "export-key-123"));
        await TrackAsync(host, 3);
        using var client = host.Client();
        var refused = await client.GetAsync("/api/export?days=1");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Send the API key in the X-API-Key header.", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/export?days=1") { Headers = { { "X-API-Key", "guess" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/export?days=1") { Headers = { { "X-API-Key", "export-key-123" } } };
        var response = await client.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }
}

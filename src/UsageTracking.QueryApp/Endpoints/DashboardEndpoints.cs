using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Services;
using UsageTracking.Reporting;
using UsageTracking.Reporting.Tables;

namespace UsageTracking.QueryApp.Endpoints;

/// <summary>The dashboard's data (<c>/api/metrics</c>, live Server-Sent Events), health checks and exports.</summary>
public static class DashboardEndpoints
{
    /// <summary>Maps the endpoints (<c>/api/report</c> serves the same self-contained HTML file as <c>usage report</c>).</summary>
    public static IEndpointRouteBuilder MapDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/api/health", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks("/api/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteHealthAsync,
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status200OK },
        });

        // One check on its own, for a probe or an operator: /api/health/usage-store, /api/health/process.
        foreach (var check in app.ServiceProvider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations)
        {
            app.MapHealthChecks($"/api/health/{check.Name}", new HealthCheckOptions
            {
                Predicate = c => c.Name == check.Name,
                ResponseWriter = WriteHealthAsync,
                ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status200OK },
            });
        }

        var api = app.MapGroup("/api").AddEndpointFilter(ApiAccess.RequireAsync);
        api.MapGet("/metrics", async (HttpContext http, DashboardService dashboard, string? range, string? app, string? user) =>
        {
            if (!TryRange(range, out var span))
            {
                return Results.Json(new { error = RangeError }, statusCode: StatusCodes.Status400BadRequest);
            }

            return Results.Json(await dashboard.GetAsync(span, app, user, http.RequestAborted), HtmlReport.Json);
        });
        // The stream ends when the client leaves or the app stops (else shutdown would wait for every open dashboard).
        api.MapGet("/dashboard/live", (LiveUpdates live, IHostApplicationLifetime lifetime, string? app, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(LiveAsync(live, app, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping).Token)));
        api.MapGet("/export", ExportAsync);
        api.MapGet("/report", async (HttpContext http, DashboardService dashboard, string? range, string? app, string? user) =>
        {
            if (!TryRange(range, out var span))
            {
                return Results.Json(new { error = RangeError }, statusCode: StatusCodes.Status400BadRequest);
            }

            var snapshot = await dashboard.GetAsync(span, app, user, http.RequestAborted);
            var html = HtmlReport.Render(DashboardService.Document(snapshot) with { Title = $"Usage report: {snapshot.Dashboard.Query.AppName ?? "all apps"}" });
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"usage-report-{DateTime.UtcNow:yyyyMMdd}.html\"";
            return Results.Text(html, "text/html; charset=utf-8");
        });
        return app;
    }

    private const string RangeError = "range must be one of 1h, 6h, 24h, 7d, 30d, 90d, 180d.";

    internal static bool TryRange(string? text, out TimeSpan range) =>
        DashboardService.Ranges.TryGetValue(string.IsNullOrWhiteSpace(text) ? "7d" : text, out range);

    // The shared feed's updates (one read a second per app, however many listen), newest only when a client is slow.
    // Cancellation ends the stream quietly: the response has started, so an exception would only be noise in the log.
    private static async IAsyncEnumerable<SseItem<string>> LiveAsync(LiveUpdates live, string? app, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var updates = Channel.CreateBounded<LiveUpdate>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        using var subscription = live.Subscribe(app, update =>
        {
            updates.Writer.TryWrite(update);
            return Task.CompletedTask;
        });
        while (true)
        {
            LiveUpdate update;
            try
            {
                update = await updates.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            yield return new SseItem<string>(JsonSerializer.Serialize(update, HtmlReport.Json), "live") { ReconnectionInterval = TimeSpan.FromSeconds(2) };
        }
    }

    private static async Task ExportAsync(HttpContext context, DashboardService dashboard, string? days, string? format, string? app)
    {
        var parsed = UsageExport.ParseFormat(string.IsNullOrWhiteSpace(format) ? "csv" : format);
        if (parsed is not { } exportFormat)
        {
            await Results.Json(new { error = "format must be csv, json or xlsx." }, statusCode: 400).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (!int.TryParse(string.IsNullOrWhiteSpace(days) ? "7" : days, out var n) || n is < 1 or > 3650)
        {
            await Results.Json(new { error = "days must be a whole number from 1 to 3650." }, statusCode: 400).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var query = UsageQuery.LastDays(n, DateTimeOffset.UtcNow, string.IsNullOrWhiteSpace(app) ? null : app.Trim());
        var events = dashboard.Reader.ReadEventsAsync(query, context.RequestAborted);
        var name = $"usage-{DateTime.UtcNow:yyyyMMdd}-{n}d.{exportFormat.ToString().ToLowerInvariant()}";
        if (exportFormat != ExportFormat.Xlsx)
        {
            // CSV and JSON stream straight to the client as rows are read. A failure once rows have gone out cannot become
            // an error status any more: the connection is aborted, so the client sees a broken download, never a short file.
            context.Response.ContentType = UsageExport.ContentType(exportFormat);
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
            try
            {
                await UsageExport.WriteAsync(context.Response.Body, events, exportFormat, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("UsageTracking.QueryApp.Export")
                    .LogError(ex, "The {Format} export failed after it had started; the response was aborted.", exportFormat);
                context.Abort();
            }

            return;
        }

        // The zip writer is synchronous: the workbook goes through a temporary file, then to the client.
        await BufferedDownload.SendAsync(context, UsageExport.ContentType(exportFormat), _ => name,
            async (file, ct) => new ExportResult(await UsageExport.WriteAsync(file, events, exportFormat, cancellationToken: ct).ConfigureAwait(false), null)).ConfigureAwait(false);
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
        }, HtmlReport.Json));
    }
}

using Microsoft.Extensions.Options;
using UsageTracking.Reporting.Alerts;

namespace UsageTracking.QueryApp.Services;

/// <summary>Evaluates the <c>Alerts</c> rules every <see cref="AlertOptions.Interval"/> and posts changes to the webhook.</summary>
public sealed class AlertService(
    DashboardService dashboard, IOptions<AlertOptions> options, IHttpClientFactory httpClients, TimeProvider time, ILogger<AlertService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Rules.Count == 0)
        {
            return;
        }

        var evaluator = new AlertEvaluator(dashboard.Analytics, settings, logger);
        var notifier = settings.WebhookUrl is { Length: > 0 } url ? new WebhookNotifier(httpClients.CreateClient("alerts"), new Uri(url), logger, time) : null;
        using var timer = new PeriodicTimer(settings.Interval, time);
        do
        {
            try
            {
                foreach (var notification in await evaluator.EvaluateAsync(time.GetUtcNow(), stoppingToken).ConfigureAwait(false))
                {
                    if (notifier is not null)
                    {
                        await notifier.SendAsync(notification, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Alert evaluation failed; it runs again in {Interval}.", settings.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

using Microsoft.Extensions.Options;
using UsageTracking.Reporting.Alerts;

namespace UsageTracking.QueryApp.Services;

/// <summary>Evaluates the <c>Alerts</c> rules every <see cref="AlertOptions.Interval"/> and sends changes to each rule's channels.</summary>
public sealed class AlertService(
    DashboardService dashboard, IOptions<AlertOptions> options, IHttpClientFactory httpClients, TimeProvider time, ILogger<AlertService> logger) : BackgroundService
{
    private AlertEvaluator? _evaluator;

    /// <summary>The rules firing now, with their severity (empty before the first evaluation or with no rules).</summary>
    public IReadOnlyDictionary<string, AlertSeverity> Firing => _evaluator?.FiringSeverities ?? new Dictionary<string, AlertSeverity>();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Rules.Count == 0)
        {
            return;
        }

        var evaluator = new AlertEvaluator(dashboard.Analytics, settings, logger);
        var dispatcher = AlertDispatcher.Create(settings, httpClients.CreateClient("alerts"), logger, time);
        _evaluator = evaluator;
        using var timer = new PeriodicTimer(settings.Interval, time);
        do
        {
            try
            {
                foreach (var notification in await evaluator.EvaluateAsync(time.GetUtcNow(), stoppingToken).ConfigureAwait(false))
                {
                    await dispatcher.SendAsync(notification, stoppingToken).ConfigureAwait(false);
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

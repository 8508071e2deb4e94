using System.Globalization;
using Microsoft.Extensions.Logging;
using UsageTracking.Analytics;

namespace UsageTracking.Reporting.Alerts;

/// <summary>A rule's change of state, as sent to the webhook.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Value">The measured value.</param>
/// <param name="Threshold">The rule's limit.</param>
/// <param name="Text">One sentence for people.</param>
/// <param name="At">When it was evaluated.</param>
public sealed record AlertNotification(string Rule, string Status, double Value, double Threshold, string Text, DateTimeOffset At);

/// <summary>
/// Evaluates the rules against the usage table through <see cref="UsageAnalytics"/> and reports only changes: a rule
/// fires once when its condition starts to hold, and resolves once when it stops — not on every evaluation.
/// </summary>
public sealed partial class AlertEvaluator(UsageAnalytics analytics, AlertOptions options, ILogger logger)
{
    private readonly Dictionary<string, bool> _firing = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Rules currently firing.</summary>
    public IReadOnlyCollection<string> Firing => _firing.Where(p => p.Value).Select(p => p.Key).ToList();

    /// <summary>Evaluates every rule at <paramref name="now"/>; returns the notifications due (firing and resolved changes only).</summary>
    public async Task<IReadOnlyList<AlertNotification>> EvaluateAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var notifications = new List<AlertNotification>();
        foreach (var rule in options.Rules)
        {
            double value;
            try
            {
                value = await MeasureAsync(rule, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // An unreadable store is not an incident of the rule: keep its state and say why in the log.
                Log.EvaluationFailed(logger, rule.Name, ex.Message);
                continue;
            }

            var breached = rule.Kind == AlertKind.NoEvents ? value >= rule.Window.TotalMinutes : !double.IsNaN(value) && value > rule.Threshold;
            var wasFiring = _firing.GetValueOrDefault(rule.Name);
            if (breached == wasFiring)
            {
                continue;
            }

            _firing[rule.Name] = breached;
            var notification = new AlertNotification(rule.Name, breached ? "firing" : "resolved", value, Limit(rule), Describe(rule, value, breached), now);
            Log.StateChanged(logger, rule.Name, notification.Status, notification.Text);
            notifications.Add(notification);
        }

        return notifications;
    }

    private async Task<double> MeasureAsync(AlertRule rule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (rule.Kind == AlertKind.NoEvents)
        {
            var latest = await analytics.GetNewestAsync(rule.App, cancellationToken).ConfigureAwait(false);
            return latest is { } at ? Math.Max(0, (now - at).TotalMinutes) : double.PositiveInfinity;
        }

        var since = rule.Kind == AlertKind.DailyCost ? new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero) : now - rule.Window;
        var parts = rule.Kind == AlertKind.P95Duration ? AggregateParts.Durations : AggregateParts.Hourly;
        var aggregates = await analytics.GetAggregatesAsync(new UsageQuery(since, now.AddTicks(1), rule.App), parts, cancellationToken).ConfigureAwait(false);
        var hourStart = new DateTimeOffset(since.Year, since.Month, since.Day, since.Hour, 0, 0, TimeSpan.Zero);
        var hourly = aggregates.Hourly.Where(h => h.Hour >= hourStart).ToList();
        switch (rule.Kind)
        {
            case AlertKind.ErrorRate:
                var events = hourly.Sum(h => h.Events);
                return events < Math.Max(1, rule.MinEvents) ? double.NaN : (double)hourly.Sum(h => h.Errors) / events;
            case AlertKind.P95Duration:
                return DurationBuckets.Percentiles(aggregates.Durations.Where(d => d.Hour >= hourStart)).P95 ?? double.NaN;
            default:
                return (double)hourly.Sum(h => h.CostUsd);
        }
    }

    private static double Limit(AlertRule rule) => rule.Kind == AlertKind.NoEvents ? rule.Window.TotalMinutes : rule.Threshold;

    private static string Describe(AlertRule rule, double value, bool firing)
    {
        var scope = rule.App is null ? "all apps" : $"app {rule.App}";
        var window = rule.Window.TotalMinutes >= 60 ? $"{rule.Window.TotalHours:0.#} h" : $"{rule.Window.TotalMinutes:0} min";
        var status = firing ? "FIRING" : "RESOLVED";
        var measured = rule.Kind switch
        {
            AlertKind.ErrorRate => double.IsNaN(value) ? "too few events to judge" : $"error rate {value.ToString("P1", CultureInfo.InvariantCulture)} over the last {window} (threshold {rule.Threshold.ToString("P1", CultureInfo.InvariantCulture)})",
            AlertKind.P95Duration => double.IsNaN(value) ? "no durations" : $"p95 step duration {value:N0} ms over the last {window} (threshold {rule.Threshold:N0} ms)",
            AlertKind.NoEvents => double.IsPositiveInfinity(value) ? "no events at all" : $"last event {value:N0} min ago (threshold {rule.Window.TotalMinutes:N0} min)",
            _ => $"LLM cost today ${value.ToString("N2", CultureInfo.InvariantCulture)} (threshold ${rule.Threshold.ToString("N2", CultureInfo.InvariantCulture)})",
        };
        return $"[{status}] {rule.Name}: {measured}, {scope}.";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Alert {Rule} is {Status}: {Text}")]
        public static partial void StateChanged(ILogger logger, string rule, string status, string text);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Alert {Rule} could not be evaluated: {Reason}")]
        public static partial void EvaluationFailed(ILogger logger, string rule, string reason);
    }
}

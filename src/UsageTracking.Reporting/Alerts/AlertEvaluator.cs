using System.Globalization;
using Microsoft.Extensions.Logging;
using UsageTracking.Analytics;

namespace UsageTracking.Reporting.Alerts;

/// <summary>A rule's change of state, as sent to its channels.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Value">The measured value.</param>
/// <param name="Threshold">The level crossed: the warning or critical one when firing, the critical one when resolved.</param>
/// <param name="Text">One sentence for people.</param>
/// <param name="At">When it was evaluated.</param>
public sealed record AlertNotification(string Rule, string Status, double Value, double Threshold, string Text, DateTimeOffset At)
{
    /// <summary>How bad: when firing, the new severity; when resolved, the worst one of the incident.</summary>
    public AlertSeverity Severity { get; init; } = AlertSeverity.Critical;

    /// <summary>The rule's channels, by name (empty: every channel).</summary>
    public IReadOnlyList<string> Channels { get; init; } = [];
}

/// <summary>
/// Evaluates the rules against the usage table through <see cref="UsageAnalytics"/> and reports only changes: a rule
/// fires when its value passes its warning or critical level, fires again when it moves between the two, and resolves
/// once when it is back under both — never on every evaluation.
/// </summary>
public sealed partial class AlertEvaluator(UsageAnalytics analytics, AlertOptions options, ILogger logger)
{
    private readonly Dictionary<string, AlertSeverity> _firing = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, AlertSeverity> _worst = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Rules currently firing.</summary>
    public IReadOnlyCollection<string> Firing => _firing.Keys.ToList();

    /// <summary>Rules currently firing, with their severity.</summary>
    public IReadOnlyDictionary<string, AlertSeverity> FiringSeverities => new Dictionary<string, AlertSeverity>(_firing, StringComparer.OrdinalIgnoreCase);

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

            var severity = Severity(rule, value);
            AlertSeverity? was = _firing.TryGetValue(rule.Name, out var current) ? current : null;
            if (severity == was)
            {
                continue;
            }

            AlertNotification notification;
            if (severity is { } level)
            {
                _firing[rule.Name] = level;
                _worst[rule.Name] = _worst.TryGetValue(rule.Name, out var worst) && worst > level ? worst : level;
                notification = new AlertNotification(rule.Name, "firing", value, Level(rule, level), Describe(rule, value, level, was), now) { Severity = level, Channels = rule.Channels };
            }
            else
            {
                _firing.Remove(rule.Name);
                _worst.Remove(rule.Name, out var worst);
                notification = new AlertNotification(rule.Name, "resolved", value, Level(rule, AlertSeverity.Critical), Describe(rule, value, null, was), now) { Severity = worst, Channels = rule.Channels };
            }

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

    // Silence is measured in minutes since the last event (infinite when there is none); the rest are above their levels.
    private static AlertSeverity? Severity(AlertRule rule, double value)
    {
        if (double.IsNaN(value))
        {
            return null;
        }

        if (rule.Kind == AlertKind.NoEvents ? value >= rule.Window.TotalMinutes : value > rule.Threshold)
        {
            return AlertSeverity.Critical;
        }

        return rule.Warning is { } warning && (rule.Kind == AlertKind.NoEvents ? value >= warning : value > warning) ? AlertSeverity.Warning : null;
    }

    private static double Level(AlertRule rule, AlertSeverity severity) => severity == AlertSeverity.Warning && rule.Warning is { } warning
        ? warning
        : rule.Kind == AlertKind.NoEvents ? rule.Window.TotalMinutes : rule.Threshold;

    private static string Describe(AlertRule rule, double value, AlertSeverity? severity, AlertSeverity? was)
    {
        var scope = rule.App is null ? "all apps" : $"app {rule.App}";
        var window = rule.Window.TotalMinutes >= 60 ? $"{rule.Window.TotalHours:0.#} h" : $"{rule.Window.TotalMinutes:0} min";
        var status = severity switch { AlertSeverity.Critical => "CRITICAL", AlertSeverity.Warning => "WARNING", _ => "RESOLVED" };
        var level = severity is { } s ? Level(rule, s) : Level(rule, AlertSeverity.Critical);
        var name = severity is AlertSeverity.Warning && rule.Warning is not null ? "warning level" : "threshold";
        var measured = rule.Kind switch
        {
            AlertKind.ErrorRate => double.IsNaN(value) ? "too few events to judge" : $"error rate {value.ToString("P1", CultureInfo.InvariantCulture)} over the last {window} ({name} {level.ToString("P1", CultureInfo.InvariantCulture)})",
            AlertKind.P95Duration => double.IsNaN(value) ? "no durations" : $"p95 step duration {value:N0} ms over the last {window} ({name} {level:N0} ms)",
            AlertKind.NoEvents => double.IsPositiveInfinity(value) ? "no events at all" : $"last event {value:N0} min ago ({name} {level:N0} min)",
            _ => $"LLM cost today ${value.ToString("N2", CultureInfo.InvariantCulture)} ({name} ${level.ToString("N2", CultureInfo.InvariantCulture)})",
        };
        var change = (was, severity) switch
        {
            (AlertSeverity.Warning, AlertSeverity.Critical) => " (up from warning)",
            (AlertSeverity.Critical, AlertSeverity.Warning) => " (down from critical)",
            _ => "",
        };
        return $"[{status}] {rule.Name}: {measured}, {scope}{change}.";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Alert {Rule} is {Status}: {Text}")]
        public static partial void StateChanged(ILogger logger, string rule, string status, string text);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Alert {Rule} could not be evaluated: {Reason}")]
        public static partial void EvaluationFailed(ILogger logger, string rule, string reason);
    }
}

using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

namespace UsageTracking.Reporting.Alerts;

/// <summary>
/// Posts notifications as JSON: for <see cref="AlertChannelKind.Slack"/> <c>{"text"}</c>, for
/// <see cref="AlertChannelKind.Discord"/> <c>{"content"}</c>, for <see cref="AlertChannelKind.Webhook"/> both of those and
/// the structured fields (rule, status, severity, value, threshold, at). Three attempts with backoff; a failure is logged,
/// never thrown. The URL is a secret (it carries the webhook's token) and is never logged: only its host is.
/// </summary>
public sealed partial class WebhookNotifier(HttpClient http, Uri url, ILogger logger, TimeProvider? time = null, AlertChannelKind kind = AlertChannelKind.Webhook)
    : IAlertChannel
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public string Name { get; init; } = "webhook";

    /// <inheritdoc />
    public AlertSeverity MinSeverity { get; init; } = AlertSeverity.Warning;

    /// <summary>Sends one notification; returns whether the receiver accepted it.</summary>
    public async Task<bool> SendAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        object body = kind switch
        {
            AlertChannelKind.Slack => new { text = notification.Text },
            AlertChannelKind.Discord => new { content = notification.Text },
            _ => new
            {
                text = notification.Text,
                content = notification.Text,
                rule = notification.Rule,
                status = notification.Status,
                severity = notification.Severity.ToString().ToLowerInvariant(),
                value = double.IsFinite(notification.Value) ? notification.Value : (double?)null,
                threshold = notification.Threshold,
                at = notification.At,
            },
        };
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(url, body, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }

                Log.Refused(logger, Name, url.Host, (int)response.StatusCode, attempt);
                if ((int)response.StatusCode is >= 400 and < 500 and not 429)
                {
                    return false;
                }
            }
            catch (HttpRequestException ex)
            {
                Log.Unreachable(logger, Name, url.Host, ex.Message, attempt);
            }

            if (attempt < 3)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt * 2), _time, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Alert channel {Channel} at {Host} answered HTTP {Status} (attempt {Attempt} of 3)")]
        public static partial void Refused(ILogger logger, string channel, string host, int status, int attempt);

        [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Alert channel {Channel} at {Host} could not be reached: {Reason} (attempt {Attempt} of 3)")]
        public static partial void Unreachable(ILogger logger, string channel, string host, string reason, int attempt);
    }
}

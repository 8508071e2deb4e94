using Microsoft.Extensions.Logging;

namespace UsageTracking.Reporting.Alerts;

/// <summary>
/// Sends each notification to its rule's channels at once, each on its own: a channel that fails or hangs is logged and
/// does not hold up the others. A channel hears of an incident once it reaches the channel's
/// <see cref="AlertChannel.MinSeverity"/>, then of each change of severity, and of its resolution only if it heard of it.
/// </summary>
public sealed class AlertDispatcher(IReadOnlyList<IAlertChannel> channels, ILogger logger)
{
    private readonly HashSet<(string Rule, string Channel)> _told = [];

    /// <summary>The channels.</summary>
    public IReadOnlyList<IAlertChannel> Channels => channels;

    /// <summary>Delivers one notification; returns, per channel told, whether it accepted it.</summary>
    public async Task<IReadOnlyDictionary<string, bool>> SendAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var due = new List<IAlertChannel>();
        foreach (var channel in channels.Where(c => notification.Channels.Count == 0 || notification.Channels.Contains(c.Name, StringComparer.OrdinalIgnoreCase)))
        {
            var key = (notification.Rule, channel.Name);
            if (notification.Status == "resolved")
            {
                if (_told.Remove(key))
                {
                    due.Add(channel);
                }
            }
            else if (notification.Severity >= channel.MinSeverity)
            {
                _told.Add(key);
                due.Add(channel);
            }
        }

        var results = await Task.WhenAll(due.Select(async channel =>
        {
            try
            {
                return (channel.Name, Sent: await channel.SendAsync(notification, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Alert channel {Channel} failed to deliver {Rule} ({Status}): {Reason}", channel.Name, notification.Rule, notification.Status, ex.Message);
                return (channel.Name, Sent: false);
            }
        })).ConfigureAwait(false);
        return results.ToDictionary(r => r.Name, r => r.Sent, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The channels of <paramref name="options"/>: webhooks posted with <paramref name="http"/>, e-mail over SMTP.</summary>
    public static AlertDispatcher Create(AlertOptions options, HttpClient http, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new AlertDispatcher(
            options.AllChannels().Select(c => c.Kind == AlertChannelKind.Email
                ? (IAlertChannel)new EmailChannel(c, logger)
                : new WebhookNotifier(http, new Uri(c.Url!), logger, time, c.Kind) { Name = c.Name, MinSeverity = c.MinSeverity }).ToList(),
            logger);
    }
}

/// <summary>One place alert notifications go.</summary>
public interface IAlertChannel
{
    /// <summary>The channel's name, as rules and logs use it.</summary>
    string Name { get; }

    /// <summary>The least severity it is told about.</summary>
    AlertSeverity MinSeverity { get; }

    /// <summary>Delivers one notification; false when it was refused or could not be delivered (already logged). Never throws for delivery failures.</summary>
    Task<bool> SendAsync(AlertNotification notification, CancellationToken cancellationToken);
}

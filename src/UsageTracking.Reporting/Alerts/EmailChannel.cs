using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace UsageTracking.Reporting.Alerts;

/// <summary>
/// Sends notifications as plain-text e-mail over SMTP with MailKit: the subject says severity, rule and status, the body
/// the sentence and the figures. Two attempts; a failure is logged with the server's name (never the password), not thrown.
/// </summary>
public sealed partial class EmailChannel(AlertChannel settings, ILogger logger) : IAlertChannel
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <inheritdoc />
    public string Name => settings.Name;

    /// <inheritdoc />
    public AlertSeverity MinSeverity => settings.MinSeverity;

    /// <summary>The subject line for a notification, e.g. <c>[CRITICAL] Error rate is firing</c>.</summary>
    public static string Subject(AlertNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification.Status == "resolved"
            ? $"[RESOLVED] {notification.Rule} is resolved"
            : $"[{notification.Severity.ToString().ToUpperInvariant()}] {notification.Rule} is firing";
    }

    /// <inheritdoc />
    public async Task<bool> SendAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From ?? ""));
        foreach (var to in settings.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = Subject(notification);
        message.Body = new TextPart("plain")
        {
            Text = $"""
                {notification.Text}

                Rule:      {notification.Rule}
                Status:    {notification.Status}
                Severity:  {notification.Severity.ToString().ToLowerInvariant()}
                Value:     {(double.IsFinite(notification.Value) ? notification.Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) : "none")}
                Level:     {notification.Threshold.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}
                At:        {notification.At:yyyy-MM-dd HH:mm:ss} UTC
                """,
        };
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Timeout);
                using var smtp = new SmtpClient { Timeout = (int)Timeout.TotalMilliseconds };
                await smtp.ConnectAsync(settings.SmtpHost ?? "", settings.SmtpPort, Security(settings.SmtpSecurity), timeout.Token).ConfigureAwait(false);
                if (settings.UserName is { Length: > 0 } user)
                {
                    await smtp.AuthenticateAsync(user, settings.Password ?? "", timeout.Token).ConfigureAwait(false);
                }

                await smtp.SendAsync(message, timeout.Token).ConfigureAwait(false);
                await smtp.DisconnectAsync(quit: true, timeout.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or ServiceNotConnectedException or AuthenticationException
                or SocketException or IOException or SslHandshakeException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Log.Failed(logger, settings.Name, settings.SmtpHost ?? "", settings.SmtpPort, ex is OperationCanceledException ? "no answer in time" : ex.Message, attempt);
            }
        }

        return false;
    }

    private static SecureSocketOptions Security(string setting) => setting switch
    {
        "None" => SecureSocketOptions.None,
        "StartTls" => SecureSocketOptions.StartTls,
        "SslOnConnect" => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Alert e-mail channel {Channel} could not send through {Host}:{Port}: {Reason} (attempt {Attempt} of 2)")]
        public static partial void Failed(ILogger logger, string channel, string host, int port, string reason, int attempt);
    }
}

namespace UsageTracking;

/// <summary>How bad an error was for the user, stored in <c>properties.severity</c> (<c>warning</c>, <c>error</c>, <c>critical</c>).</summary>
public enum ErrorSeverity
{
    /// <summary>The user could go on (a retry worked, a fallback answered).</summary>
    Warning,

    /// <summary>The step failed.</summary>
    Error,

    /// <summary>The app could not serve the user at all.</summary>
    Critical,
}

/// <summary>Errors with a severity, for analyses and alerts that tell a blip from an outage.</summary>
public static class UsageTrackerErrorExtensions
{
    /// <summary>The property the severity is stored under.</summary>
    public const string SeverityKey = "severity";

    /// <summary>
    /// Records an error as <see cref="IUsageTracker.TrackError"/> does — <paramref name="errorType"/> as the action, the
    /// message in <c>detail</c>, the exception's type in <c>properties.exception_type</c> — with its
    /// <paramref name="severity"/> in <c>properties.severity</c>. Never throws.
    /// </summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="userEmail">Who met the error.</param>
    /// <param name="errorType">The error's type, e.g. <see cref="Actions.LlmError"/>.</param>
    /// <param name="errorMessage">What went wrong; the exception's message when null.</param>
    /// <param name="severity">How bad it was.</param>
    /// <param name="exception">The exception, if any (only its type and message are kept).</param>
    public static void TrackError(this IUsageTracker tracker, string? userEmail, string errorType, string? errorMessage, ErrorSeverity severity, Exception? exception = null)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var properties = new Dictionary<string, object?> { [SeverityKey] = severity.ToString().ToLowerInvariant() };
        if (exception is not null)
        {
            properties["exception_type"] = exception.GetType().FullName;
        }

        tracker.Track(new UsageEvent
        {
            User = userEmail,
            Action = errorType,
            Detail = errorMessage ?? exception?.Message,
            IsError = true,
            Properties = properties,
        });
    }
}

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// The one shape of <see cref="Actions.AppError"/>, for a failed request and for a failed component of a live page alike:
/// the exception's type and message in <c>detail</c>, where it happened in <c>properties</c> — never the request's or the
/// page's data.
/// </summary>
internal static class AppErrors
{
    public static UsageEvent Event(string user, string? sessionId, Exception error, Dictionary<string, object?> where) => new()
    {
        User = user,
        SessionId = sessionId,
        Action = Actions.AppError,
        IsError = true,
        Detail = $"{error.GetType().Name}: {error.Message}",
        Properties = where,
    };
}

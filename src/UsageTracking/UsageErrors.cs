namespace UsageTracking;

/// <summary>
/// The one rule for what an error is. An event is an error when it says so: <see cref="UsageEvent.IsError"/>, set by
/// <see cref="IUsageTracker.TrackError"/>, by <see cref="IUsageTracker.Track"/> when the app sets it, and by the tracker for
/// any action named like the <c>*_error</c> <see cref="Actions"/>; every store keeps it in the <c>is_error</c> column. Rows
/// written before that column existed (or to the seed's 4-column table) carry no flag, and for them the earlier tracker's
/// naming rule decides: the action contains <c>_error</c>, as in <c>sql_error</c> or <c>"sql_error: no such column"</c>.
/// </summary>
public static class UsageErrors
{
    /// <summary>What the naming rule looks for in an action.</summary>
    public const string NameMarker = "_error";

    /// <summary>Whether an event is an error: its stored flag, or the naming rule when it has none.</summary>
    /// <param name="isError">The <c>is_error</c> column; null for rows without it.</param>
    /// <param name="action">The action.</param>
    public static bool IsError(bool? isError, string? action) => isError ?? IsErrorName(action);

    /// <summary>The earlier tracker's rule: the action contains <c>_error</c>.</summary>
    /// <param name="action">The action.</param>
    public static bool IsErrorName(string? action) => action is not null && action.Contains(NameMarker, StringComparison.Ordinal);

    /// <summary>The error's type: the action, without the message the seed's table appended (<c>"sql_error: no such column"</c> → <c>sql_error</c>).</summary>
    /// <param name="action">The action.</param>
    public static string TypeOf(string action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var colon = action.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? action[..colon] : action;
    }
}

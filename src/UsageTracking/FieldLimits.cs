namespace UsageTracking;

/// <summary>
/// The longest value stored for each field, in UTF-16 characters. Longer values are truncated
/// (never rejected) on the background writer and counted on the <c>usage_tracking.events.truncated</c> metric.
/// </summary>
public static class FieldLimits
{
    /// <summary>Longest <c>app_name</c>: 128.</summary>
    public const int AppName = 128;
    /// <summary>Longest <c>user</c>: 320 (the longest valid e-mail address).</summary>
    public const int User = 320;
    /// <summary>Longest <c>action</c>: 256.</summary>
    public const int Action = 256;
    /// <summary>Longest <c>session_id</c>: 128.</summary>
    public const int SessionId = 128;
    /// <summary>Longest <c>detail</c> (error message or free text): 4,000.</summary>
    public const int Detail = 4_000;
    /// <summary>Longest <c>model</c>: 128.</summary>
    public const int Model = 128;
    /// <summary>
    /// Longest <c>properties</c> JSON text: 65,536. A longer object is replaced by
    /// <c>{"_truncated":true,"_length":N}</c> so the column always holds valid JSON.
    /// </summary>
    public const int PropertiesJson = 65_536;
}

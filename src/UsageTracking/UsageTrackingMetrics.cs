namespace UsageTracking;

/// <summary>Names of the tracker's instruments, for listeners and dashboards.</summary>
public static class UsageTrackingMetrics
{
    /// <summary>The meter every tracker publishes on: <c>UsageTracking</c>.</summary>
    public const string MeterName = "UsageTracking";

    /// <summary>Events written to the store, by <c>action</c> (counted when they land, including replays).</summary>
    public const string UsageEvents = "usage_tracking.usage.events";

    /// <summary>LLM tokens written, by <c>model</c> and <c>type</c> (<c>input</c>, <c>output</c>).</summary>
    public const string UsageTokens = "usage_tracking.usage.tokens";

    /// <summary>Estimated LLM cost written, in US dollars, by <c>model</c>.</summary>
    public const string UsageCost = "usage_tracking.usage.cost";
}

namespace UsageTracking.Reporting;

/// <summary>A headline figure's levels: above <see cref="Warning"/> it is shown as a warning, above <see cref="Critical"/> as critical.</summary>
public sealed class KpiLevel
{
    /// <summary>The warning level, or null for none.</summary>
    public double? Warning { get; set; }

    /// <summary>The critical level, or null for none.</summary>
    public double? Critical { get; set; }
}

/// <summary>
/// Levels the dashboard and report colour their headline figures by (good / warning / critical), bound from the
/// <c>Dashboard:Thresholds</c> configuration section. A figure without levels is not coloured.
/// </summary>
public sealed class KpiThresholds
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Dashboard:Thresholds";

    /// <summary>Errors ÷ events in the range (0.05 = 5 %).</summary>
    public KpiLevel? ErrorRate { get; set; }

    /// <summary>The 95th percentile step duration, in ms.</summary>
    public KpiLevel? DurationP95Ms { get; set; }

    /// <summary>The mean step duration, in ms.</summary>
    public KpiLevel? DurationAverageMs { get; set; }

    /// <summary>The cost in the range, in US dollars.</summary>
    public KpiLevel? CostUsd { get; set; }
}

using System.Globalization;

namespace UsageTracking.QueryApp.Data;

/// <summary>Result values as text the same way everywhere (chart labels, summaries, CSV): invariant, ISO dates.</summary>
internal static class ValueText
{
    public static string Format(object? value) => value switch
    {
        null => "",
        string s => s,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime d => d.TimeOfDay == TimeSpan.Zero ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : d.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        byte[] bytes => $"({bytes.Length} bytes)",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

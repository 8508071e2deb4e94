using System.Globalization;
using System.Text.RegularExpressions;

namespace UsageTracking.Reporting.Tables;

/// <summary>Cell values as text the same way everywhere (chart labels, summaries, CSV): invariant culture, ISO dates.</summary>
public static partial class TableValues
{
    /// <summary>The value as invariant text; dates in ISO 8601.</summary>
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

    /// <summary>Whether text is an ISO 8601 date or timestamp (<c>2024-03-01</c>, <c>2024-03-01 12:30:00.000</c>, <c>…T…Z</c>).</summary>
    public static bool IsIsoDate(string text) => text.Length is >= 7 and <= 35 && IsoDate().IsMatch(text);

    [GeneratedRegex(@"^\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();
}

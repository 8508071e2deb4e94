using System.Globalization;
using UsageTracking.QueryApp.Data;
using UsageTracking.Reporting.Tables;

namespace UsageTracking.QueryApp.Presentation;

/// <summary>A computed summary: the row count, the range and average of each number column, and the top values of text columns.</summary>
public static class ResultSummarizer
{
    /// <summary>Sentences describing <paramref name="result"/>.</summary>
    public static IReadOnlyList<string> Summarize(QueryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var lines = new List<string>
        {
            result.Truncated
                ? $"{result.Rows.Count:N0} rows shown; the result was cut at the row limit of {result.RowLimit:N0}, so the figures below cover the rows shown."
                : $"{result.Rows.Count:N0} {(result.Rows.Count == 1 ? "row" : "rows")}.",
        };

        for (var i = 0; i < result.Columns.Count && lines.Count < 8; i++)
        {
            var column = result.Columns[i];
            var values = result.Rows.Select(r => r[i]).Where(v => v is not null).ToList();
            if (values.Count == 0)
            {
                continue;
            }

            switch (column.Kind)
            {
                case ColumnKind.Number:
                    var numbers = values.Select(v => Convert.ToDouble(v, CultureInfo.InvariantCulture)).ToList();
                    lines.Add(numbers.Count == 1
                        ? $"{column.Name}: {Format(numbers[0])}."
                        : $"{column.Name}: from {Format(numbers.Min())} to {Format(numbers.Max())}, average {Format(numbers.Average())}, total {Format(numbers.Sum())}.");
                    break;
                case ColumnKind.Date:
                    var texts = values.Select(TableValues.Format).ToList();
                    lines.Add($"{column.Name}: from {texts.Min(StringComparer.Ordinal)} to {texts.Max(StringComparer.Ordinal)}.");
                    break;
                default:
                    var groups = values.GroupBy(TableValues.Format).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
                    if (groups.Count == values.Count)
                    {
                        lines.Add($"{column.Name}: {groups.Count:N0} distinct values.");
                    }
                    else
                    {
                        var top = string.Join(", ", groups.Take(3).Select(g => $"{g.Key} ({100.0 * g.Count() / values.Count:0.#}%)"));
                        lines.Add($"{column.Name}: {groups.Count:N0} distinct values; most common {top}.");
                    }

                    break;
            }
        }

        return lines;
    }

    private static string Format(double value) =>
        Math.Abs(value - Math.Round(value)) < 1e-9 ? Math.Round(value).ToString("N0", CultureInfo.InvariantCulture) : value.ToString("N2", CultureInfo.InvariantCulture);
}

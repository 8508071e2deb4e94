using System.Globalization;
using UsageTracking.QueryApp.Data;
using UsageTracking.Reporting.Tables;

namespace UsageTracking.QueryApp.Presentation;

/// <summary>A chart for a result: its kind, the columns it plots and the points.</summary>
public sealed record ChartSpec(string Type, string LabelColumn, string ValueColumn, IReadOnlyList<string> Labels, IReadOnlyList<double> Values, string? Note);

/// <summary>
/// Picks a chart from a result's shape: a date-like column and a number → line (in time order); a text column and a
/// number → bar (top 30 as ordered by the query); anything else → no chart.
/// </summary>
public static class ChartChooser
{
    private const int MaxBars = 30;
    private const int MaxPoints = 1_000;

    /// <summary>The chart for <paramref name="result"/>, or null with a reason when its shape suits none.</summary>
    public static (ChartSpec? Chart, string? Reason) Choose(QueryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Rows.Count < 2)
        {
            return (null, "A chart needs at least two rows.");
        }

        var columns = result.Columns;
        var date = Index(columns, c => c.Kind == ColumnKind.Date || (ColumnKinds.IsDateName(c.Name) && c.Kind != ColumnKind.Boolean));
        var value = Index(columns, c => c.Kind == ColumnKind.Number, except: date);
        if (date >= 0 && value >= 0)
        {
            var points = result.Rows
                .Where(r => r[date] is not null && r[value] is not null)
                .Select(r => (Label: Text(r[date]), Value: Number(r[value])))
                .OrderBy(p => p.Label, StringComparer.Ordinal)
                .ToList();
            var note = points.Count > MaxPoints ? $"Showing the first {MaxPoints} of {points.Count} points." : null;
            points = points.Take(MaxPoints).ToList();
            return (new ChartSpec("line", columns[date].Name, columns[value].Name, points.Select(p => p.Label).ToList(), points.Select(p => p.Value).ToList(), note), null);
        }

        // Up to two category columns name each bar together ("Phase 2 · Completed"), as a breakdown reads.
        var categories = Enumerable.Range(0, columns.Count).Where(i => columns[i].Kind is ColumnKind.Text or ColumnKind.Boolean).Take(2).ToList();
        if (categories.Count > 0 && value >= 0)
        {
            var rows = result.Rows.Where(r => r[value] is not null).ToList();
            var note = rows.Count > MaxBars ? $"Showing the first {MaxBars} of {rows.Count} bars." : null;
            rows = rows.Take(MaxBars).ToList();
            var label = string.Join(" · ", categories.Select(i => columns[i].Name));
            return (new ChartSpec("bar", label, columns[value].Name, rows.Select(r => string.Join(" · ", categories.Select(i => Text(r[i])))).ToList(), rows.Select(r => Number(r[value])).ToList(), note), null);
        }

        return (null, "No chart: the result needs a category or date column and a number column.");
    }

    private static int Index(IReadOnlyList<ResultColumn> columns, Func<ResultColumn, bool> predicate, int except = -1)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (i != except && predicate(columns[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Text(object? value) => value is null ? "(none)" : TableValues.Format(value);

    private static double Number(object? value) => value is null ? 0 : Convert.ToDouble(value, CultureInfo.InvariantCulture);
}

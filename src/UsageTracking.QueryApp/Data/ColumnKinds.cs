using System.Text.RegularExpressions;

namespace UsageTracking.QueryApp.Data;

/// <summary>Works out a column's <see cref="ColumnKind"/> from its values, since SQLite has no fixed column types.</summary>
internal static partial class ColumnKinds
{
    public static ColumnKind Infer(IReadOnlyList<object?[]> rows, int column, string name)
    {
        var kind = (ColumnKind?)null;
        var seen = 0;
        foreach (var row in rows)
        {
            var value = row[column];
            if (value is null or DBNull)
            {
                continue;
            }

            var valueKind = Of(value);
            if (kind is null)
            {
                kind = valueKind;
            }
            else if (kind != valueKind)
            {
                kind = kind is ColumnKind.Number && valueKind is ColumnKind.Number ? kind : ColumnKind.Text;
            }

            if (++seen >= 500 || kind == ColumnKind.Text)
            {
                break;
            }
        }

        return kind ?? (IsDateName(name) ? ColumnKind.Date : ColumnKind.Text);
    }

    public static ColumnKind Of(object value) => value switch
    {
        long or int or short or byte or double or float or decimal => ColumnKind.Number,
        bool => ColumnKind.Boolean,
        DateTime or DateTimeOffset or DateOnly => ColumnKind.Date,
        string s when IsIsoDate(s) => ColumnKind.Date,
        _ => ColumnKind.Text,
    };

    public static bool IsIsoDate(string text) => UsageTracking.Reporting.Tables.TableValues.IsIsoDate(text);

    public static bool IsDateName(string name) => DateName().IsMatch(name);

    [GeneratedRegex(@"(^|_)(date|day|week|month|year|time|timestamp|hour)s?($|_)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DateName();
}

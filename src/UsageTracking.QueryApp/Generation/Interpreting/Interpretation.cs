using System.Globalization;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>What is computed for each group (or for the whole table).</summary>
internal enum MeasureKind
{
    Count,
    CountDistinct,
    Sum,
    Average,
    Minimum,
    Maximum,
    Median,
    Percentile,
    Share,
}

/// <summary>How a filter compares.</summary>
internal enum FilterOp
{
    In,
    NotIn,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Between,
    Equal,
    IsMissing,
    IsPresent,
    DateRange,
    IsError,
    IsNotError,
    ZeroOrMissing,
}

/// <summary>Time buckets a date column is grouped by.</summary>
internal enum Bucket
{
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
}

/// <summary>A span of time: fixed dates, or one relative to today (whole UTC days, as the tracker's stats count them).</summary>
/// <param name="From">First day included (fixed ranges).</param>
/// <param name="Until">First day no longer included (fixed ranges).</param>
/// <param name="LastDays">The last N whole days, today included.</param>
/// <param name="ThisPeriod">The current calendar week, month or year, to date.</param>
/// <param name="Yesterday">Yesterday only.</param>
/// <param name="PreviousPeriod">The whole calendar week, month, quarter or year before the current one ("last year").</param>
internal sealed record DateSpan(DateOnly? From = null, DateOnly? Until = null, int? LastDays = null, Bucket? ThisPeriod = null, bool Yesterday = false, Bucket? PreviousPeriod = null)
{
    public string Describe() => this switch
    {
        { Yesterday: true } => "yesterday",
        { LastDays: 1 } => "today",
        { LastDays: { } n } => $"in the last {n} days",
        { ThisPeriod: { } p } => $"this {p.ToString().ToLowerInvariant()}",
        { PreviousPeriod: { } p } => $"in the previous calendar {p.ToString().ToLowerInvariant()}",
        { From: { } f, Until: { } u } when f.Day == 1 && f.Month == 1 && u == f.AddYears(1) => $"in {f.Year}",
        { From: { } f, Until: { } u } when f.Day == 1 && u == f.AddMonths(1) => $"in {f.ToString("MMMM yyyy", CultureInfo.InvariantCulture)}",
        { From: { } f, Until: { } u } when f.Day == 1 && f.Month == 1 && u.Day == 1 && u.Month == 1 => $"from {f.Year} to {u.Year - 1}",
        { From: { } f, Until: null } when f.Day == 1 && f.Month == 1 => $"from {f.Year} on",
        { From: null, Until: { } u } when u.Day == 1 && u.Month == 1 => $"before {u.Year}",
        { From: { } f, Until: null } => $"from {f:yyyy-MM-dd} on",
        { From: null, Until: { } u } => $"before {u:yyyy-MM-dd}",
        { From: { } f, Until: { } u } => $"from {f:yyyy-MM-dd} to before {u:yyyy-MM-dd}",
        _ => "at any time",
    };
}

/// <summary>One condition on the rows.</summary>
internal sealed record Filter(ModelColumn? Column, FilterOp Op, IReadOnlyList<string> Values, double? Low = null, double? High = null, DateSpan? Span = null)
{
    public string Describe()
    {
        var name = Column?.Label ?? "";
        return Op switch
        {
            FilterOp.In when Values.Count == 1 => $"{name} is {Values[0]}",
            FilterOp.In => $"{name} is one of {string.Join(", ", Values)}",
            FilterOp.NotIn when Values.Count == 1 => $"{name} is not {Values[0]}",
            FilterOp.NotIn => $"{name} is none of {string.Join(", ", Values)}",
            FilterOp.Greater => $"{name} is more than {Number(Low)}",
            FilterOp.GreaterOrEqual => $"{name} is at least {Number(Low)}",
            FilterOp.Less => $"{name} is less than {Number(High)}",
            FilterOp.LessOrEqual => $"{name} is at most {Number(High)}",
            FilterOp.Between => $"{name} is between {Number(Low)} and {Number(High)}",
            FilterOp.Equal => $"{name} is {Number(Low)}",
            FilterOp.IsMissing => $"{name} is missing",
            FilterOp.IsPresent => $"{name} is known",
            FilterOp.DateRange => $"{name} {Span!.Describe()}",
            FilterOp.IsError => "errors only",
            FilterOp.IsNotError => "no errors",
            FilterOp.ZeroOrMissing => $"{name} is 0 or missing",
            _ => name,
        };
    }

    internal static string Number(double? value) => value is { } v ? v.ToString("#,0.##", CultureInfo.InvariantCulture) : "?";
}

/// <summary>What is computed: a measure over a column (or over the rows, for counts).</summary>
/// <param name="Kind">The computation.</param>
/// <param name="Column">The column (null for a count of rows).</param>
/// <param name="Percentile">For <see cref="MeasureKind.Percentile"/>: 0–100.</param>
/// <param name="Condition">For <see cref="MeasureKind.Share"/>: the rows counted as a share of all (null: each group's share of the total).</param>
internal sealed record Measure(MeasureKind Kind, ModelColumn? Column = null, double? Percentile = null, IReadOnlyList<Filter>? Condition = null)
{
    public string Describe(string entities) => Kind switch
    {
        MeasureKind.Count => $"count of {entities}",
        MeasureKind.CountDistinct => $"number of distinct {Column!.Label}s",
        MeasureKind.Sum => $"total {Column!.Label}",
        MeasureKind.Average => $"average {Column!.Label}",
        MeasureKind.Minimum => $"lowest {Column!.Label}",
        MeasureKind.Maximum => $"highest {Column!.Label}",
        MeasureKind.Median => $"median {Column!.Label}",
        MeasureKind.Percentile => $"{Ordinal(Percentile!.Value)} percentile of {Column!.Label}",
        MeasureKind.Share when Condition is { Count: > 0 } => $"share of {entities} where {string.Join(" and ", Condition.Select(c => c.Describe()))} (%)",
        MeasureKind.Share => $"share of all {entities} (%)",
        _ => Kind.ToString(),
    };

    private static string Ordinal(double p)
    {
        var n = (int)p;
        var suffix = (n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
        return p == n ? $"{n}{suffix}" : p.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>A grouping: a column, or a date column in time buckets.</summary>
internal sealed record Grouping(ModelColumn Column, Bucket? Bucket = null)
{
    public string Describe() => Bucket is { } b ? $"{b.ToString().ToLowerInvariant()} of {Column.Label}" : Column.Label;
}

/// <summary>How the answer is ordered: by the measure, or (for listings) by a column.</summary>
/// <param name="Descending">Largest (newest) first.</param>
/// <param name="Column">The column ordered by; null to order by the measure.</param>
/// <param name="Implicit">Not asked for: a listing shows the newest rows first.</param>
internal sealed record Ordering(bool Descending, ModelColumn? Column = null, bool Implicit = false);

/// <summary>
/// The question as understood: shown to the user above the SQL, so they can see at a glance whether it is what they asked,
/// and rendered to SQL in the source's dialect.
/// </summary>
internal sealed record Interpretation(
    IReadOnlyList<Measure> Measures,
    IReadOnlyList<Filter> Filters,
    IReadOnlyList<Grouping> Groups,
    Ordering? Order,
    int? Limit,
    bool Listing,
    ModelColumn? DistinctListing,
    string Entities)
{
    /// <summary>The interpretation in plain words: "count of studies · where status is not Completed · by country · top 5".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (DistinctListing is { } distinct)
        {
            parts.Add($"the distinct {distinct.Label}s");
        }
        else if (Listing)
        {
            parts.Add($"list of {Entities}");
        }
        else
        {
            parts.Add(string.Join(", ", Measures.Select(m => m.Describe(Entities))));
        }

        if (Filters.Count > 0)
        {
            var among = Measures.Any(m => m.Kind == MeasureKind.Share && m.Condition is { Count: > 0 });
            parts.Add((among ? $"among {Entities} where " : "where ") + string.Join(" and ", Filters.Select(f => f.Describe())));
        }

        if (Groups.Count > 0)
        {
            parts.Add("by " + string.Join(" and ", Groups.Select(g => g.Describe())));
        }

        if (Order is { Implicit: true } natural)
        {
            parts.Add($"{(natural.Descending ? "newest" : "oldest")} first by {natural.Column?.Label}");
            if (Limit is { } first)
            {
                parts.Add($"first {first:N0}");
            }
        }
        else if (Order is { } order)
        {
            var by = order.Column is { } c ? c.Label : Measures.Count > 0 ? Measures[0].Describe(Entities) : "count";
            parts.Add(Limit is { } n
                ? $"{(order.Descending ? "top" : "bottom")} {n:N0} by {by}"
                : $"{(order.Descending ? "highest" : "lowest")} {by} first");
        }
        else if (Limit is { } n)
        {
            parts.Add($"first {n:N0}");
        }

        return string.Join(" · ", parts);
    }

    /// <summary>A form that two phrasings of the same question share (for matching saved examples).</summary>
    public string Key() => string.Join("|",
        Listing, DistinctListing?.Name, string.Join(",", Measures.Select(m => m.Describe(Entities))),
        string.Join(",", Filters.Select(f => f.Describe()).Order(StringComparer.Ordinal)),
        string.Join(",", Groups.Select(g => g.Describe())), Order?.Descending, Order?.Column?.Name, Limit);
}

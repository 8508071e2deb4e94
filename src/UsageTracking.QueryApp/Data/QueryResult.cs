namespace UsageTracking.QueryApp.Data;

/// <summary>What a result column holds, as far as charts, summaries and Excel cells care.</summary>
public enum ColumnKind
{
    /// <summary>Text, or values of mixed types.</summary>
    Text,

    /// <summary>Integers or decimals.</summary>
    Number,

    /// <summary>Dates or timestamps (ISO text in SQLite).</summary>
    Date,

    /// <summary>True or false.</summary>
    Boolean,
}

/// <summary>One result column.</summary>
public sealed record ResultColumn(string Name, ColumnKind Kind);

/// <summary>A query's result as shown on the page: at most <see cref="RowLimit"/> rows; <see cref="Truncated"/> says whether more existed.</summary>
public sealed record QueryResult(IReadOnlyList<ResultColumn> Columns, IReadOnlyList<object?[]> Rows, bool Truncated, int RowLimit, double ElapsedMs);


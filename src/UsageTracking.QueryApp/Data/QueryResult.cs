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

/// <summary>
/// A query's result as shown on the page: at most <see cref="RowLimit"/> rows and about <see cref="ByteLimit"/> bytes;
/// <see cref="TruncatedBy"/> says which limit cut it (<c>rows</c> or <c>bytes</c>), or null when every row is there.
/// </summary>
public sealed record QueryResult(IReadOnlyList<ResultColumn> Columns, IReadOnlyList<object?[]> Rows, string? TruncatedBy, int RowLimit, long ByteLimit, long Bytes, double ElapsedMs)
{
    /// <summary>Whether rows were left out.</summary>
    public bool Truncated => TruncatedBy is not null;

    /// <summary>About how much memory a row takes here (for the byte limits); strings and blobs by their length.</summary>
    public static long RowBytes(object?[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        long bytes = 24 + 8L * row.Length;
        foreach (var value in row)
        {
            bytes += value switch
            {
                null => 0,
                string text => 22 + 2L * text.Length,
                byte[] blob => 24 + blob.Length,
                _ => 24,
            };
        }

        return bytes;
    }
}


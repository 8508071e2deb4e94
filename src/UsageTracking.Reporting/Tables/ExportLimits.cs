namespace UsageTracking.Reporting.Tables;

/// <summary>How much one table export may write: rows, and bytes of output.</summary>
/// <param name="MaxRows">Most rows.</param>
/// <param name="MaxBytes">
/// Most bytes written to the output: CSV never passes it; an XLSX file, compressed as it is written, is checked every 256 rows
/// and may pass it by what those rows and the compressor hold.
/// </param>
public sealed record ExportLimits(long MaxRows, long MaxBytes = long.MaxValue)
{
    /// <summary>No limit.</summary>
    public static ExportLimits None { get; } = new(long.MaxValue);
}

/// <summary>What an export wrote.</summary>
/// <param name="Rows">Rows written.</param>
/// <param name="CutBy">Null when every row was written; <c>rows</c> or <c>bytes</c> when a limit stopped it with rows left.</param>
public sealed record ExportResult(long Rows, string? CutBy)
{
    /// <summary>Whether rows were left out.</summary>
    public bool Cut => CutBy is not null;
}

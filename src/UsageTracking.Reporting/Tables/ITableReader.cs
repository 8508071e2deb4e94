namespace UsageTracking.Reporting.Tables;

/// <summary>Rows read forward once, with named columns: a query's result or the usage table's events, for the exporters.</summary>
public interface ITableReader : IAsyncDisposable
{
    /// <summary>Column names in order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The row just read; the array may be reused, so copy what you keep.</summary>
    object?[] Current { get; }

    /// <summary>Moves to the next row.</summary>
    ValueTask<bool> ReadAsync(CancellationToken cancellationToken);
}

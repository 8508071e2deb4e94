using Microsoft.Extensions.Caching.Memory;
using UsageTracking.QueryApp.Data;

namespace UsageTracking.QueryApp.Services;

/// <summary>A query run: what ran, for whom, and the rows shown (kept so chart, summary, download and feedback refer to it by id).</summary>
public sealed record RunRecord(string Id, string SessionId, string SourceId, string Sql, string? Question, QueryResult Result);

/// <summary>
/// Recent runs, in memory, bounded by cell count and idle time: a run is needed only while its page is open.
/// A run is visible only to the session that made it.
/// </summary>
public sealed class RunStore : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 20_000_000 });

    /// <summary>Keeps a run for an hour of inactivity.</summary>
    public void Add(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var size = Math.Max(1, (long)run.Result.Rows.Count * Math.Max(1, run.Result.Columns.Count));
        _cache.Set(run.Id, run, new MemoryCacheEntryOptions { Size = size, SlidingExpiration = TimeSpan.FromHours(1) });
    }

    /// <summary>The run with <paramref name="id"/> if it belongs to <paramref name="sessionId"/>.</summary>
    public RunRecord? Get(string? id, string sessionId) =>
        id is not null && _cache.TryGetValue(id, out RunRecord? run) && run!.SessionId == sessionId ? run : null;

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();
}

using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Data;

namespace UsageTracking.QueryApp.Services;

/// <summary>A query run: what ran, for whom, and the rows shown (kept so chart, summary, download and feedback refer to it by id).</summary>
public sealed record RunRecord(string Id, string SessionId, string SourceId, string Sql, string? Question, QueryResult Result);

/// <summary>
/// Recent runs, in memory, bounded by bytes — per browser session (<see cref="QueryAppOptions.SessionRunBytes"/>, its oldest
/// runs go first) and for the whole app (<see cref="QueryAppOptions.KeptRunBytes"/>, the least recently used go first) — and
/// by an hour of idle time: a run is needed only while its page is open. A run is visible only to the session that made it.
/// </summary>
public sealed class RunStore(IOptions<QueryAppOptions> options, TimeProvider time)
{
    private static readonly TimeSpan IdleTime = TimeSpan.FromHours(1);
    private readonly QueryAppOptions _options = options.Value;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _byUse = new();
    private long _bytes;

    /// <summary>Bytes of results kept.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Keeps a run, evicting what the budgets require.</summary>
    public void Add(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_lock)
        {
            var node = _byUse.AddLast(new Entry(run, run.Result.Bytes, time.GetUtcNow()));
            _byId[run.Id] = node;
            _bytes += run.Result.Bytes;
            var sessionBytes = _byUse.Where(e => e.Run.SessionId == run.SessionId).Sum(e => e.Bytes);
            for (var oldest = _byUse.First; sessionBytes > _options.SessionRunBytes && oldest is not null && oldest != node;)
            {
                var next = oldest.Next;
                if (oldest.Value.Run.SessionId == run.SessionId)
                {
                    sessionBytes -= oldest.Value.Bytes;
                    Remove(oldest);
                }

                oldest = next;
            }

            var idleSince = time.GetUtcNow() - IdleTime;
            while (_byUse.First is { } first && first != node && (_bytes > _options.KeptRunBytes || first.Value.LastUsed < idleSince))
            {
                Remove(first);
            }
        }
    }

    /// <summary>The run with <paramref name="id"/> if it belongs to <paramref name="sessionId"/> (and is still kept).</summary>
    public RunRecord? Get(string? id, string sessionId)
    {
        lock (_lock)
        {
            if (id is null || !_byId.TryGetValue(id, out var node) || node.Value.Run.SessionId != sessionId)
            {
                return null;
            }

            if (node.Value.LastUsed < time.GetUtcNow() - IdleTime)
            {
                Remove(node);
                return null;
            }

            _byUse.Remove(node);
            node.Value = node.Value with { LastUsed = time.GetUtcNow() };
            _byUse.AddLast(node);
            return node.Value.Run;
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _byUse.Remove(node);
        _byId.Remove(node.Value.Run.Id);
        _bytes -= node.Value.Bytes;
    }

    private sealed record Entry(RunRecord Run, long Bytes, DateTimeOffset LastUsed);
}

using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace UsageTracking.Implementation;

/// <summary>
/// The bounded in-memory queue between the callers and the writer: one interlocked increment and a lock-free enqueue
/// per event. Producers only touch <see cref="_enqueued"/> and the writer only <see cref="_dequeued"/>, each on its own
/// cache line, so the hot path does not bounce a line back and forth with the writer.
/// </summary>
internal sealed class EventQueue(long capacity)
{
    private readonly ConcurrentQueue<UsageEvent> _items = new();
    private PaddedCounter _enqueued;
    private PaddedCounter _dequeued;

    /// <summary>Events waiting.</summary>
    public long Depth => Math.Max(0, Volatile.Read(ref _enqueued.Value) - Volatile.Read(ref _dequeued.Value));

    /// <summary>
    /// Events ever admitted (and, for an instant, ones about to be turned away). Once <see cref="Dequeued"/> reaches the value
    /// read at some moment, every event enqueued before that moment has been taken: the queue is first in, first out.
    /// </summary>
    public long Enqueued => Volatile.Read(ref _enqueued.Value);

    /// <summary>Events ever taken by the writer.</summary>
    public long Dequeued => Volatile.Read(ref _dequeued.Value);

    public bool IsEmpty => _items.IsEmpty;

    /// <summary>Admits the event unless the queue is full; returns the depth it made, or 0 when it was turned away.</summary>
    public long TryEnqueue(UsageEvent e)
    {
        var depth = Interlocked.Increment(ref _enqueued.Value) - Volatile.Read(ref _dequeued.Value);
        if (depth > capacity)
        {
            Interlocked.Decrement(ref _enqueued.Value);
            return 0;
        }

        _items.Enqueue(e);
        return depth;
    }

    /// <summary>Takes up to <paramref name="max"/> events into <paramref name="into"/>; returns how many. Writer only.</summary>
    public int DequeueInto(List<UsageEvent> into, int max)
    {
        var taken = 0;
        while (taken < max && _items.TryDequeue(out var e))
        {
            into.Add(e);
            taken++;
        }

        Interlocked.Add(ref _dequeued.Value, taken);
        return taken;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCounter
    {
        [FieldOffset(64)]
        public long Value;
    }
}

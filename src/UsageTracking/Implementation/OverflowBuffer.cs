using System.Collections.Concurrent;

namespace UsageTracking.Implementation;

/// <summary>
/// Where events go when the queue is full: an unbounded lock-free queue on the caller's side that is written to the spool
/// in chunks, so an overflowing burst costs an enqueue per event, not a system call. The caller whose event completes a
/// chunk writes it (one file, one write); the writer writes whatever is left every time it wakes, so in memory it never
/// holds more than about a chunk per producing thread — the same loss window a crash has with the queue itself.
/// Once the tracker has shut down, every event is written as it arrives.
/// </summary>
internal sealed class OverflowBuffer(Spool spool, EventNormalizer normalizer, DeliveryCounters counters, HeldBatches held, int chunkEvents)
{
    private readonly ConcurrentQueue<UsageEvent> _events = new();
    private readonly Lock _writeLock = new();
    private long _added;
    private long _taken;
    private int _closed;

    /// <summary>Events accepted and not yet written to the spool.</summary>
    public long Count => Math.Max(0, Volatile.Read(ref _added) - Volatile.Read(ref _taken));

    /// <summary>Keeps an event that found the queue full. Returns at once unless this event completes a chunk.</summary>
    public void Add(UsageEvent e)
    {
        _events.Enqueue(e);
        var n = Interlocked.Increment(ref _added);
        // Read after the enqueue (the interlocked add is a full fence), so either this call or Close's write sees the event.
        if (n % chunkEvents == 0 || Volatile.Read(ref _closed) != 0)
        {
            Write();
        }
    }

    /// <summary>
    /// Writes what is buffered to the spool, one file per chunk, and returns how many events it wrote. One writer at a time,
    /// so a caller that must wait here also waits for a chunk another thread is writing — which is what a flush needs.
    /// </summary>
    public int Write()
    {
        // The writer calls this every time it wakes; with nothing buffered it must cost nothing.
        if (_events.IsEmpty)
        {
            return 0;
        }

        lock (_writeLock)
        {
            var total = 0;
            var chunk = new List<UsageEvent>(Math.Min(chunkEvents, 1024));
            while (true)
            {
                chunk.Clear();
                while (chunk.Count < chunkEvents && _events.TryDequeue(out var e))
                {
                    chunk.Add(e);
                }

                if (chunk.Count == 0)
                {
                    return total;
                }

                for (var i = 0; i < chunk.Count; i++)
                {
                    chunk[i] = normalizer.Normalize(chunk[i]);
                }

                Interlocked.Add(ref _taken, chunk.Count);
                total += chunk.Count;
                if (spool.TryWriteOverflow(chunk, out var failure))
                {
                    counters.AddSpooled(chunk.Count);
                    Acknowledge(chunk);
                }
                else
                {
                    // The spool's disk is full (or its cap reached): keep them in memory, offered to the store and spool later.
                    held.Hold([.. chunk], failure, $"the queue was full and the spool refused them: {spool.LastError ?? "it is full (UsageTracking:SpoolMaxBytes)"}");
                }
            }
        }
    }

    /// <summary>From now on every event is written as it arrives (nobody is left to write a partial chunk); writes the rest.</summary>
    public void Close()
    {
        Interlocked.Exchange(ref _closed, 1);
        Write();
    }

    private static void Acknowledge(List<UsageEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Journal is { } journal)
            {
                e.Journal = null;
                journal.Ack();
            }
        }
    }
}

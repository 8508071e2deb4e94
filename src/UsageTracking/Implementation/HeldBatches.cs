using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>
/// Batches the spool could not take (its disk is full, or its cap reached) while the store could not take them either:
/// kept in memory, up to the queue's capacity, and offered again to the store and the spool every time the writer wakes,
/// so nothing is lost while the disk fills and frees. Beyond the bound, and at shutdown, what is left is dropped — counted
/// and said at warning level. Durable mode's journal keeps these events until they are written or dropped.
/// </summary>
internal sealed class HeldBatches(long capacity, DeliveryCounters counters, DropReporter drops, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly Queue<List<UsageEvent>> _batches = new();
    private long _count;
    private int _holding;

    /// <summary>Events held in memory.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Keeps a batch the spool refused; beyond the bound it is dropped, counted and reported.</summary>
    public void Hold(List<UsageEvent> batch, DropReason why, string reason)
    {
        lock (_lock)
        {
            if (_count + batch.Count <= capacity)
            {
                _batches.Enqueue(batch);
                _count += batch.Count;
                if (Interlocked.Exchange(ref _holding, 1) == 0)
                {
                    Log.HoldingInMemory(logger, batch.Count, reason, _count);
                }

                return;
            }
        }

        Drop(batch, why);
    }

    /// <summary>The oldest held batch, taken out (put it back with <see cref="PutBack"/> if it still finds no home).</summary>
    public List<UsageEvent>? TryTake()
    {
        lock (_lock)
        {
            if (!_batches.TryDequeue(out var batch))
            {
                return null;
            }

            _count -= batch.Count;
            if (_batches.Count == 0 && Interlocked.Exchange(ref _holding, 0) == 1)
            {
                Log.NoLongerHolding(logger);
            }

            return batch;
        }
    }

    /// <summary>
    /// Returns a batch to the front of the line. Another thread may have filled its place meanwhile: the bound still holds,
    /// so the newest batches beyond it are dropped, counted and reported.
    /// </summary>
    public void PutBack(List<UsageEvent> batch, DropReason why)
    {
        var overflow = new List<List<UsageEvent>>();
        lock (_lock)
        {
            var rest = _batches.ToList();
            _batches.Clear();
            _batches.Enqueue(batch);
            _count = batch.Count;
            foreach (var b in rest)
            {
                if (_count + b.Count <= capacity)
                {
                    _batches.Enqueue(b);
                    _count += b.Count;
                }
                else
                {
                    overflow.Add(b);
                }
            }

            Interlocked.Exchange(ref _holding, 1);
        }

        foreach (var dropped in overflow)
        {
            Drop(dropped, why);
        }
    }

    /// <summary>Shutdown: nothing will retry what is left; it is lost, and said so.</summary>
    public void DropAll(DropReason why)
    {
        while (TryTake() is { } batch)
        {
            Drop(batch, why);
        }
    }

    private void Drop(List<UsageEvent> batch, DropReason why)
    {
        counters.AddDropped(why, batch.Count);
        drops.Report(batch.Count, why);
        foreach (var e in batch)
        {
            if (e.Journal is { } journal)
            {
                e.Journal = null;
                journal.Ack();
            }
        }
    }
}

using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>
/// Sends the spool's files to the store, oldest first, while the store takes them. In normal running it waits a moment
/// after a failure and gives way to live traffic; when draining (a flush, or shutdown) it goes on regardless. A file written
/// in part keeps only its unwritten rest, so nothing is sent twice.
/// </summary>
internal sealed class SpoolReplay(Spool spool, BatchDelivery delivery, EventNormalizer normalizer, DeliveryCounters counters,
    ILogger logger, TimeProvider time, int batchSize)
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    private long _nextAttemptTicks;

    /// <summary>The store just failed: leave the spool alone for a moment.</summary>
    public void Postpone() => Volatile.Write(ref _nextAttemptTicks, (time.GetUtcNow() + RetryInterval).UtcTicks);

    /// <summary>The store is back: replay at the next chance.</summary>
    public void Resume() => Volatile.Write(ref _nextAttemptTicks, 0);

    /// <summary>
    /// Replays what is due. Returns false when a file stayed (in whole or in part) because the store did not take it or
    /// shutdown gave up on the store; files another process holds are skipped and do not count.
    /// </summary>
    /// <param name="draining">Go on whatever the backoff and the live queue say (flush and shutdown).</param>
    /// <param name="liveTrafficWaiting">Whether a full batch of live events waits: normal replay then gives way.</param>
    public async Task<bool> ReplayAsync(bool draining, Func<bool> liveTrafficWaiting)
    {
        // No check of the circuit here: Polly moves it to half-open only when an execution is attempted,
        // so the replay itself is the trial write (rejected at once while the circuit is still open).
        if (spool.Files == 0 || !draining && time.GetUtcNow().UtcTicks < Volatile.Read(ref _nextAttemptTicks))
        {
            return true;
        }

        foreach (var path in spool.PendingFiles())
        {
            if (delivery.IsAbandoned)
            {
                return false;
            }

            if (!draining && liveTrafficWaiting())
            {
                return true;
            }

            using var lease = spool.TryLease(path);
            if (lease is null)
            {
                continue;
            }

            if (lease.Unreadable.Count > 0)
            {
                Log.CorruptSpoolLines(logger, lease.Unreadable.Count, path);
            }

            var written = 0;
            var presentBefore = counters.AlreadyPresent;
            var chunk = new List<UsageEvent>(batchSize);
            foreach (var group in lease.Events.Chunk(batchSize))
            {
                chunk.Clear();
                chunk.AddRange(group.Select(normalizer.Normalize));
                if (!await delivery.DeliverAsync(chunk, spoolOnFailure: false).ConfigureAwait(false))
                {
                    lease.KeepRemainder(written);
                    counters.AddReplayed(written);
                    Postpone();
                    return false;
                }

                written += chunk.Count;
            }

            lease.Complete();
            counters.AddReplayed(written);
            Log.Replayed(logger, written, counters.AlreadyPresent - presentBefore, path);
        }

        return true;
    }
}

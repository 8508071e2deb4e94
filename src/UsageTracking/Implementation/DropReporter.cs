using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>
/// Says at warning level that events were lost, whatever <see cref="UsageTrackingOptions.DebugLogging"/> is: at once for
/// the first loss, then at most every few seconds with the total since, so a burst of drops is one line, not thousands.
/// </summary>
internal sealed class DropReporter(ILogger logger, TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly long[] _pending = new long[Enum.GetValues<DropReason>().Length];
    private long _nextReportTicks;

    public void Report(long count, DropReason reason)
    {
        Interlocked.Add(ref _pending[(int)reason], count);
        if (time.GetUtcNow().UtcTicks >= Volatile.Read(ref _nextReportTicks))
        {
            Publish();
        }
    }

    /// <summary>
    /// Logs what was lost since the last line; called by the writer whenever it wakes, so nothing waits long to be said,
    /// and at shutdown with <paramref name="force"/>, so nothing is left unsaid.
    /// </summary>
    public void Publish(bool force = false)
    {
        if (Array.TrueForAll(_pending, n => n == 0))
        {
            return;
        }

        var now = time.GetUtcNow().UtcTicks;
        var previous = Volatile.Read(ref _nextReportTicks);
        if (!force && (now < previous || Interlocked.CompareExchange(ref _nextReportTicks, now + Interval.Ticks, previous) != previous))
        {
            return;
        }

        for (var i = 0; i < _pending.Length; i++)
        {
            if (Interlocked.Exchange(ref _pending[i], 0) is var n and > 0)
            {
                Log.Dropped(logger, n, DeliveryCounters.Name((DropReason)i));
            }
        }
    }
}
